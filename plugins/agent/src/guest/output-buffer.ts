// SPDX-License-Identifier: Apache-2.0
import type { Readable } from 'node:stream';

/** Bytes buffered per stream before the agent stops reading the pipe. */
export const OUTPUT_BUFFER_LIMIT = 1024 * 1024;

interface Waiter {
  len: number;
  resolve(data: Buffer | undefined): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Buffers one output pipe of a process until the host reads it. Bounded: at `limit` bytes the pipe is
 * paused, so the writer blocks in the kernel (backpressure); nothing is ever dropped. Reads are long
 * polls: they resolve with up to `len` bytes once there are any, or `undefined` at end of stream.
 */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly stream: Readable, private readonly limit: number = OUTPUT_BUFFER_LIMIT) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size >= this.limit) stream.pause();
      this.serve();
    });
    const end = (): void => { this.ended = true; this.serve(); };
    stream.once('end', end);
    stream.once('close', end);
    stream.on('error', end);
  }

  /** Bytes waiting to be read. */
  get buffered(): number {
    return this.size;
  }

  /** True once the pipe has ended and everything was read. */
  get drained(): boolean {
    return this.ended && this.size === 0;
  }

  /** Up to `len` bytes, or `undefined` at end of stream. An aborted read resolves `undefined` and takes nothing. */
  read(len: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(undefined);
      const waiter: Waiter = { len: Math.max(1, len), resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(undefined);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.serve();
    });
  }

  private serve(): void {
    while (this.waiters.length > 0 && (this.size > 0 || this.ended)) {
      const w = this.waiters.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(this.size > 0 ? this.take(w.len) : undefined);
    }
    if (this.size < this.limit && this.stream.isPaused() && !this.ended) this.stream.resume();
  }

  private take(len: number): Buffer {
    const parts: Buffer[] = [];
    let need = Math.min(len, this.size);
    while (need > 0) {
      const head = this.chunks[0]!;
      if (head.length <= need) {
        parts.push(head);
        this.chunks.shift();
        need -= head.length;
        this.size -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        this.size -= need;
        need = 0;
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
