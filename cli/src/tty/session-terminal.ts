// SPDX-License-Identifier: Apache-2.0
import type { Readable, Writable } from 'node:stream';
import { getWindowSize, type WindowSize } from '@cella/core/tty';

/** The host side of a process's terminal: the streams to relay, its window size, and its end. */
export interface SessionTerminal {
  readonly io: { stdin: Readable; stdout: Writable; stderr: Writable };
  /** The size now, if known: the process starts with it (`process.consoleSize`, which crun applies). */
  size(): WindowSize | undefined;
  /** Calls `resize` with the size now (awaited), then on each change until `close`. */
  watchSize(resize: (size: WindowSize) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** The caller's terminal, for its size: stdout when it is one, else stdin. */
function callerTtyFd(): number | undefined {
  if (process.stdout.isTTY) return 1;
  return process.stdin.isTTY ? 0 : undefined;
}

/** The window size of the caller's terminal, undefined when there is none or it is unset (0x0). */
export function callerWindowSize(): WindowSize | undefined {
  const fd = callerTtyFd();
  if (fd === undefined) return undefined;
  try {
    const s = getWindowSize(fd);
    return s.rows > 0 && s.columns > 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Back to the mode the terminal had (also on `exit`, whatever path leads there). */
function restoreCooked(): void {
  try {
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
  } catch { /* the terminal is gone */ }
}

/**
 * The caller's own terminal (foreground `exec -t`, foreground `run` of a terminal process, with no console
 * socket: runc relays its own stdio then), put in raw mode while the process runs so the guest's terminal
 * does the echo and the keys. The mode is restored by `close`, and by an `exit` listener if `close` is never
 * reached; the window size follows SIGWINCH.
 */
export class OwnTerminal implements SessionTerminal {
  readonly io = { stdin: process.stdin as Readable, stdout: process.stdout as Writable, stderr: process.stderr as Writable };
  private onResize: (() => void) | undefined;

  constructor() {
    if (process.stdin.isTTY) {
      process.on('exit', restoreCooked);
      process.stdin.setRawMode(true);
    }
  }

  size(): WindowSize | undefined {
    return callerWindowSize();
  }

  async watchSize(resize: (size: WindowSize) => Promise<void>): Promise<void> {
    if (callerTtyFd() === undefined) return;
    const now = async (): Promise<void> => {
      const s = callerWindowSize();
      if (s) await resize(s).catch(() => undefined);
    };
    this.onResize = () => { void now(); };
    process.on('SIGWINCH', this.onResize);
    await now();
  }

  async close(): Promise<void> {
    if (this.onResize) process.off('SIGWINCH', this.onResize);
    restoreCooked();
    process.off('exit', restoreCooked);
  }
}
