// SPDX-License-Identifier: Apache-2.0
import * as fs from 'node:fs';

/**
 * A log file that never grows past `limitBytes`, and keeps the last `tailBytes` in memory for error details.
 * `keep: 'head'` (QEMU's stderr: a guest can make QEMU print warnings in a loop) stops writing at the limit;
 * `keep: 'tail'` (the guest's serial console: what it printed last says why it died) drops the oldest half of
 * the file instead, so the file always ends with the newest output.
 */
export class BoundedFileLog {
  private fd: number | undefined;
  private written = 0;
  private dropped = false;
  private tailText = '';

  constructor(readonly file: string, private readonly limitBytes = 1024 * 1024, private readonly tailBytes = 8 * 1024,
    private readonly keep: 'head' | 'tail' = 'head') {
    this.fd = fs.openSync(file, 'w+', 0o600);
  }

  write(chunk: Buffer): void {
    this.tailText = (this.tailText + chunk.toString('utf8')).slice(-this.tailBytes);
    if (this.fd === undefined || this.dropped) return;
    try {
      if (this.written + chunk.length > this.limitBytes && this.keep === 'tail') {
        this.rotate(this.fd, chunk);
        return;
      }
      const room = this.limitBytes - this.written;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      fs.writeSync(this.fd, part, 0, part.length, this.written);
      this.written += part.length;
      if (part.length < chunk.length) {
        fs.writeSync(this.fd, `\n…(log limit of ${this.limitBytes} bytes reached; further output dropped)\n`, this.written);
        this.dropped = true;
      }
    } catch {
      // A full disk must not take the runtime down with it: the tail in memory still holds the news.
      this.dropped = true;
    }
  }

  /** The file becomes a note plus the newest half of the limit (old end + `chunk`): one copy per half-limit written. */
  private rotate(fd: number, chunk: Buffer): void {
    const note = Buffer.from(`…(older output dropped: log limit of ${this.limitBytes} bytes)\n`);
    const keep = Math.floor(this.limitBytes / 2) - note.length;
    const old = Buffer.alloc(Math.max(0, Math.min(this.written, keep - chunk.length)));
    if (old.length > 0) fs.readSync(fd, old, 0, old.length, this.written - old.length);
    const data = Buffer.concat([old, chunk]);
    const kept = data.length > keep ? data.subarray(data.length - keep) : data;
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, note, 0, note.length, 0);
    fs.writeSync(fd, kept, 0, kept.length, note.length);
    this.written = note.length + kept.length;
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
