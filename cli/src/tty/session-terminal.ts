// SPDX-License-Identifier: Apache-2.0
import type { Readable, Writable } from 'node:stream';
import type { WindowSize } from '@cella/core/tty';

/** The host side of a process's terminal: the streams to relay, its window size, and its end. */
export interface SessionTerminal {
  readonly io: { stdin: Readable; stdout: Writable; stderr: Writable };
  /** The size now, if known: the process starts with it (`process.consoleSize`, which crun applies). */
  size(): WindowSize | undefined;
  /** Calls `resize` with the size now (awaited), then on each change until `close`. */
  watchSize(resize: (size: WindowSize) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * `exec -t` in the foreground without a console socket (runc relays its own stdio then): this process's own
 * terminal, put in raw mode while the process runs so the guest's terminal does the echo and the keys.
 */
export class OwnTerminal implements SessionTerminal {
  readonly io = { stdin: process.stdin as Readable, stdout: process.stdout as Writable, stderr: process.stderr as Writable };
  private onResize: (() => void) | undefined;

  constructor() {
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
  }

  size(): WindowSize | undefined {
    return process.stdout.isTTY && process.stdout.rows > 0 ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined;
  }

  async watchSize(resize: (size: WindowSize) => Promise<void>): Promise<void> {
    if (!process.stdout.isTTY) return;
    const now = (): Promise<void> => resize({ rows: process.stdout.rows, columns: process.stdout.columns }).catch(() => undefined);
    this.onResize = () => { void now(); };
    process.stdout.on('resize', this.onResize);
    await now();
  }

  async close(): Promise<void> {
    if (this.onResize) process.stdout.off('resize', this.onResize);
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  }
}
