// SPDX-License-Identifier: Apache-2.0
/**
 * Test fake: a QMP server on a unix socket that speaks just enough of the protocol to drive edge cases
 * real QEMU will not produce on demand (oversized lines, split writes, out-of-order replies).
 */
import * as net from 'node:net';

export interface FakeQmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

/** What to do with a command: reply with an object, write raw text, or stay silent (undefined). */
export type FakeQmpHandler = (cmd: FakeQmpCommand, conn: net.Socket) => Record<string, unknown> | string | undefined;

export class FakeQmpServer {
  readonly commands: FakeQmpCommand[] = [];
  readonly connections: net.Socket[] = [];
  private readonly server: net.Server;

  constructor(private readonly handler: FakeQmpHandler = (cmd) => ({ return: {}, id: cmd.id })) {
    this.server = net.createServer((conn) => this.serve(conn));
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
  }

  /** Send a raw line (or anything) to every open connection. */
  send(text: string): void {
    for (const c of this.connections) c.write(text);
  }

  close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(conn: net.Socket): void {
    this.connections.push(conn);
    conn.on('error', () => undefined);
    conn.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: 'fake' }, capabilities: [] } })}\r\n`);
    let buf = '';
    conn.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const cmd = JSON.parse(buf.slice(0, nl)) as FakeQmpCommand;
        buf = buf.slice(nl + 1);
        this.commands.push(cmd);
        const reply = cmd.execute === 'qmp_capabilities' ? { return: {}, id: cmd.id } : this.handler(cmd, conn);
        if (reply !== undefined) conn.write(typeof reply === 'string' ? reply : `${JSON.stringify(reply)}\r\n`);
      }
    });
  }
}
