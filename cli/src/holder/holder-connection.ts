// SPDX-License-Identifier: Apache-2.0
import type { OciProcess, StdioAgent } from '@cella/core';
import type { TtrpcClient } from '@cella/core/ttrpc';
import { decodeExec, encodeExec, ExecMethod } from './holder-exec-protocol';
import { connectHolder } from './holder-client';
import { HOLDER_SERVICE } from './holder-protocol';

/** A connection to a container's holder, for the calls of one exec (stdio long polls have no timeout). */
export class HolderConnection implements StdioAgent {
  private constructor(private readonly client: TtrpcClient) {}

  /** Stdio long polls have no timeout, so the client has no default one. */
  static async open(runDir: string): Promise<HolderConnection> {
    return new HolderConnection(await connectHolder(runDir));
  }

  private call(method: string, execId: string, fields: Parameters<typeof encodeExec>[0] = { execId }): Promise<Buffer> {
    return this.client.call(HOLDER_SERVICE, method, encodeExec({ ...fields, execId }));
  }

  async exec(_containerId: string, execId: string, process: OciProcess): Promise<void> {
    await this.call(ExecMethod.Exec, execId, { execId, process: JSON.stringify(process) });
  }

  private async read(execId: string, stream: number, max: number): Promise<Buffer | undefined> {
    const m = decodeExec(await this.call(ExecMethod.Read, execId, { execId, stream, max }));
    return m.eof ? undefined : (m.data ?? Buffer.alloc(0));
  }

  readStdout(_c: string, execId: string, max: number): Promise<Buffer | undefined> { return this.read(execId, 1, max); }
  readStderr(_c: string, execId: string, max: number): Promise<Buffer | undefined> { return this.read(execId, 2, max); }

  async writeStdin(_c: string, execId: string, data: Buffer): Promise<number> {
    return decodeExec(await this.call(ExecMethod.Write, execId, { execId, data })).value ?? 0;
  }

  async closeStdin(_c: string, execId: string): Promise<void> {
    await this.call(ExecMethod.CloseStdin, execId);
  }

  async wait(_c: string, execId: string): Promise<number> {
    // proto3 leaves a zero out: no value is status 0.
    return decodeExec(await this.call(ExecMethod.Wait, execId)).value ?? 0;
  }

  async signal(_c: string, execId: string, signal: number): Promise<void> {
    await this.call(ExecMethod.Signal, execId, { execId, value: signal });
  }

  /** The window size of the exec's terminal (the guest resizes its pty). */
  async resize(execId: string, rows: number, columns: number): Promise<void> {
    await this.call(ExecMethod.Resize, execId, { execId, rows, columns });
  }

  close(): void {
    this.client.close();
  }
}
