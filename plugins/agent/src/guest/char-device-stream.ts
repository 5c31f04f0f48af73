// SPDX-License-Identifier: Apache-2.0
import { close, read, write } from 'node:fs';
import { Duplex } from 'node:stream';

const READ_SIZE = 64 * 1024;

/**
 * A Duplex over an open character device fd (a virtio-serial port). Node's net.Socket cannot take a char
 * device, so reads are `fs.read` in a loop (one at a time, on the thread pool: blocking is fine) and
 * writes `fs.write`. A read of 0 bytes (the host side is not connected) ends the stream; so does an error.
 * The fd is owned by the stream and closed on destroy, but only once no read or write is in flight:
 * closing under a blocked read would keep the port busy (EBUSY) for the next open anyway.
 */
export class CharDeviceStream extends Duplex {
  private reading = false;
  private inFlight = 0;
  private fdClosed = false;
  private closeRequested = false;
  /** Bytes read over the stream's life; 0 at the end means the host was not there. */
  bytesIn = 0;

  constructor(private readonly fd: number) {
    super({ allowHalfOpen: false });
  }

  override _read(): void {
    if (this.reading || this.closeRequested) return;
    this.reading = true;
    this.inFlight++;
    const buf = Buffer.allocUnsafe(READ_SIZE);
    read(this.fd, buf, 0, READ_SIZE, null, (err, n) => {
      this.reading = false;
      this.inFlight--;
      this.maybeClose();
      if (this.closeRequested) return;
      if (err) return void this.destroy(err);
      if (n === 0) return void this.push(null);
      this.bytesIn += n;
      if (this.push(buf.subarray(0, n))) this._read();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll(chunk, 0, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.closeRequested = true;
    this.maybeClose();
    cb(err);
  }

  private writeAll(chunk: Buffer, offset: number, cb: (err?: Error | null) => void): void {
    if (this.closeRequested) return cb(new Error('The port stream is closed'));
    this.inFlight++;
    write(this.fd, chunk, offset, chunk.length - offset, null, (err, n) => {
      this.inFlight--;
      this.maybeClose();
      if (err) return cb(err);
      if (offset + n < chunk.length) return this.writeAll(chunk, offset + n, cb);
      cb();
    });
  }

  /** Closes the fd once the stream is destroyed and nothing uses it any more. */
  private maybeClose(): void {
    if (this.closeRequested && this.inFlight === 0 && !this.fdClosed) {
      this.fdClosed = true;
      close(this.fd, () => undefined);
    }
  }
}
