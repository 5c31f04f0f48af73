// SPDX-License-Identifier: Apache-2.0
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder, type DecodedItem } from './frame';

/** Test helper (not exported from the package): two ends of a real unix-socket connection. */
export interface SocketPair {
  /** The connecting end. */
  a: net.Socket;
  /** The accepted end. */
  b: net.Socket;
  /** Destroys both ends and removes the socket directory. */
  cleanup(): Promise<void>;
}

export async function socketPair(): Promise<SocketPair> {
  const dir = await mkdtemp(join(tmpdir(), 'cella-ttrpc-'));
  const server = net.createServer();
  try {
    const path = join(dir, 's.sock');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const a = net.createConnection(path);
    await new Promise<void>((resolve, reject) => { a.once('connect', resolve); a.once('error', reject); });
    const b = await accepted;
    return {
      a,
      b,
      async cleanup(): Promise<void> {
        a.destroy();
        b.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    server.close();
  }
}

/** A hand-driven ttRPC peer: decodes what arrives on `socket` and hands items out in order. */
export class RawPeer {
  readonly items: DecodedItem[] = [];
  private readonly decoder: FrameDecoder;
  private waiters: Array<() => void> = [];
  private taken = 0;

  constructor(readonly socket: net.Socket, maxData?: number) {
    this.decoder = new FrameDecoder(maxData);
    socket.on('data', (chunk: Buffer) => {
      this.items.push(...this.decoder.push(chunk));
      const w = this.waiters;
      this.waiters = [];
      for (const fn of w) fn();
    });
  }

  /** The next item not yet taken; rejects after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<DecodedItem> {
    const deadline = Date.now() + timeoutMs;
    while (this.taken >= this.items.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('RawPeer.next timed out');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.items[this.taken++]!;
  }
}
