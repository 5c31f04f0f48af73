// SPDX-License-Identifier: Apache-2.0
import type { ReadStream } from 'node:tty';
import { closeFd, getWindowSize, makeRaw, openPty, sendConsoleMaster, ttyStream, type WindowSize } from '@cella/core/tty';
import type { SessionTerminal } from './session-terminal';

/** How often the slave's window size is compared (the caller resizes the master; no signal reaches us). */
const SIZE_POLL_MS = 200;

/**
 * The host end of a container's terminal (docs/adr/0008): a pty whose master went to the caller's console
 * socket (runc's protocol) and whose slave this process keeps, raw, to relay to and from the guest's own
 * pty. The guest's terminal does the terminal work (echo, line editing, ^C); this one only carries bytes and
 * the window size.
 */
export class HostTerminal implements SessionTerminal {
  /** The slave as one stream: read = what the caller types, write = what the container prints. */
  readonly stream: ReadStream;
  private readonly slaveFd: number;
  private timer: NodeJS.Timeout | undefined;
  private last: WindowSize | undefined;

  /** Everything through the terminal (crun's own messages, on the guest process's stderr, too). */
  get io(): SessionTerminal['io'] {
    return { stdin: this.stream, stdout: this.stream, stderr: this.stream };
  }

  private constructor(slave: number) {
    this.slaveFd = slave;
    this.stream = ttyStream(slave);
    this.stream.on('error', () => undefined);
  }

  /** Opens a pty and sends its master to `consoleSocket`; throws E_TTY_CONSOLE_SOCKET naming it when it cannot. */
  static async open(consoleSocket: string): Promise<HostTerminal> {
    const pty = openPty();
    try {
      makeRaw(pty.slave);
      await sendConsoleMaster(consoleSocket, pty.master);
    } catch (err) {
      closeFd(pty.slave);
      throw err;
    } finally {
      closeFd(pty.master);
    }
    return new HostTerminal(pty.slave);
  }

  /** The current window size (set by whoever holds the master), undefined when unset (0x0) or closed. */
  size(): WindowSize | undefined {
    const fd = (this.stream as unknown as { _handle?: { fd?: number } })._handle?.fd ?? this.slaveFd;
    try {
      const s = getWindowSize(fd);
      return s.rows > 0 && s.columns > 0 ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Calls `resize` with the size now (awaited, so a process started right after sees it), then on every change
   * until `close`. Failed resizes are dropped (the process may have exited).
   */
  async watchSize(resize: (size: WindowSize) => Promise<void>): Promise<void> {
    const check = async (): Promise<void> => {
      const s = this.size();
      if (!s || (this.last && s.rows === this.last.rows && s.columns === this.last.columns)) return;
      this.last = s;
      await resize(s).catch(() => undefined);
    };
    await check();
    this.timer ??= setInterval(() => { void check(); }, SIZE_POLL_MS);
    this.timer.unref();
  }

  /** Waits (at most `ms`) for written output to reach the pty, then closes the slave. */
  async close(ms = 2000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.stream.writableLength > 0 && !this.stream.destroyed) {
      await new Promise<void>((resolve) => { this.stream.once('drain', resolve); setTimeout(resolve, ms).unref(); });
    }
    this.stream.destroy();
  }
}
