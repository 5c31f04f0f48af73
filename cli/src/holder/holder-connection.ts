// SPDX-License-Identifier: Apache-2.0
import type { OciProcess, StdioAgent } from '@cella/core';
import type { TtrpcClient } from '@cella/core/ttrpc';
import { decodeExec, encodeExec, ExecMethod } from './holder-exec-protocol';
import { connectHolder } from './holder-client';
import { encodeContainerRequest, HOLDER_SERVICE, PodMethod } from './holder-protocol';

/**
 * A connection to a container's holder, for the calls of one exec (stdio long polls have no timeout), or of a
 * pod member's own process (execId '') through its pod sandbox's holder. Every call names the container.
 */
export class HolderConnection implements StdioAgent {
  private constructor(private readonly client: TtrpcClient) {}

  /** Stdio long polls have no timeout, so the client has no default one. */
  static async open(runDir: string): Promise<HolderConnection> {
    return new HolderConnection(await connectHolder(runDir));
  }

  private call(method: string, containerId: string, execId: string, fields: Omit<Parameters<typeof encodeExec>[0], 'execId'> = {}): Promise<Buffer> {
    return this.client.call(HOLDER_SERVICE, method, encodeExec({ ...fields, execId, containerId }));
  }

  async exec(containerId: string, execId: string, process: OciProcess): Promise<void> {
    await this.call(ExecMethod.Exec, containerId, execId, { process: JSON.stringify(process) });
  }

  private async read(containerId: string, execId: string, stream: number, max: number): Promise<Buffer | undefined> {
    const m = decodeExec(await this.call(ExecMethod.Read, containerId, execId, { stream, max }));
    return m.eof ? undefined : (m.data ?? Buffer.alloc(0));
  }

  readStdout(c: string, execId: string, max: number): Promise<Buffer | undefined> { return this.read(c, execId, 1, max); }
  readStderr(c: string, execId: string, max: number): Promise<Buffer | undefined> { return this.read(c, execId, 2, max); }

  async writeStdin(c: string, execId: string, data: Buffer): Promise<number> {
    return decodeExec(await this.call(ExecMethod.Write, c, execId, { data })).value ?? 0;
  }

  async closeStdin(c: string, execId: string): Promise<void> {
    await this.call(ExecMethod.CloseStdin, c, execId);
  }

  async wait(c: string, execId: string): Promise<number> {
    // proto3 leaves a zero out: no value is status 0.
    return decodeExec(await this.call(ExecMethod.Wait, c, execId)).value ?? 0;
  }

  async signal(c: string, execId: string, signal: number): Promise<void> {
    await this.call(ExecMethod.Signal, c, execId, { value: signal });
  }

  /** The window size of the process's terminal (the guest resizes its pty). */
  async resize(c: string, execId: string, rows: number, columns: number): Promise<void> {
    await this.call(ExecMethod.Resize, c, execId, { rows, columns });
  }

  /** Pod sandbox holders only: create a member container from its bundle folder in the sandbox's VM. */
  async addContainer(containerId: string, bundle: string, timeoutMs?: number): Promise<void> {
    await this.client.call(HOLDER_SERVICE, PodMethod.AddContainer, encodeContainerRequest({ containerId, bundle }), { timeoutMs });
  }

  async startContainer(containerId: string): Promise<void> {
    await this.client.call(HOLDER_SERVICE, PodMethod.StartContainer, encodeContainerRequest({ containerId }));
  }

  async removeContainer(containerId: string, timeoutMs?: number): Promise<void> {
    await this.client.call(HOLDER_SERVICE, PodMethod.RemoveContainer, encodeContainerRequest({ containerId }), { timeoutMs });
  }

  /** Any other holder method, its answer as is. */
  raw(method: string, payload: Uint8Array, timeoutMs?: number): Promise<Buffer> {
    return this.client.call(HOLDER_SERVICE, method, payload, { timeoutMs });
  }

  /** Called once when the connection ends (the holder exited, or `close()`). */
  onClose(listener: () => void): void {
    this.client.onClose(() => listener());
  }

  get closed(): boolean {
    return this.client.closed;
  }

  close(): void {
    this.client.close();
  }
}
