// SPDX-License-Identifier: Apache-2.0
import * as fs from 'node:fs';

/**
 * A log file that stops growing at `limitBytes` (QEMU's stderr: a guest can make QEMU print warnings in
 * a loop), and keeps the last `tailBytes` in memory for error details.
 */
export class BoundedFileLog {
  private fd: number | undefined;
  private written = 0;
  private dropped = false;
  private tailText = '';

  constructor(readonly file: string, private readonly limitBytes = 1024 * 1024, private readonly tailBytes = 8 * 1024) {
    this.fd = fs.openSync(file, 'w', 0o600);
  }

  write(chunk: Buffer): void {
    this.tailText = (this.tailText + chunk.toString('utf8')).slice(-this.tailBytes);
    if (this.fd === undefined || this.dropped) return;
    const room = this.limitBytes - this.written;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    try {
      fs.writeSync(this.fd, part);
      this.written += part.length;
      if (part.length < chunk.length) {
        fs.writeSync(this.fd, `\n…(log limit of ${this.limitBytes} bytes reached; further output dropped)\n`);
        this.dropped = true;
      }
    } catch {
      // A full disk must not take the runtime down with it: the tail in memory still holds the news.
      this.dropped = true;
    }
  }

  /** The last `maxLines` lines, at most `maxChars` characters. */
  tail(maxLines = 20, maxChars = 2000): string {
    return this.tailText.trimEnd().split('\n').slice(-maxLines).join('\n').slice(-maxChars);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
