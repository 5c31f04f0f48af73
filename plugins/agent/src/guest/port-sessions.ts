// SPDX-License-Identifier: Apache-2.0
import { Duplex } from 'node:stream';
import { MessageType, TTRPC_HEADER_SIZE } from '@cella/core/ttrpc';

/**
 * Splits the byte stream of a virtio-serial port into ttRPC sessions.
 *
 * A virtio-serial port has no connection boundaries: when the host disconnects and a new client
 * connects quickly, the guest may never read the end-of-stream in between, and the new client's
 * requests arrive in the old session, where the ttRPC server refuses its stream ids (they restart at 1).
 * This splitter follows the frame headers and starts a new session when a Request with stream id 1
 * arrives in a session that has already had requests: every client starts at 1. The old session ends,
 * so its late answers are dropped instead of reaching the new client.
 */
export class PortSessions {
  private current: SessionStream | undefined;
  private header = Buffer.alloc(TTRPC_HEADER_SIZE);
  private headerFill = 0;
  /** Data bytes of the current frame still to forward. */
  private dataLeft = 0;
  private sawRequest = false;

  constructor(private readonly port: Duplex, private readonly onSession: (session: Duplex) => void) {
    port.on('data', (chunk: Buffer) => this.onData(chunk));
    port.once('end', () => this.endSession());
    port.once('close', () => this.endSession());
    port.on('error', () => this.endSession());
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - pos);
        this.forward(chunk.subarray(pos, pos + n));
        this.dataLeft -= n;
        pos += n;
        continue;
      }
      const n = Math.min(TTRPC_HEADER_SIZE - this.headerFill, chunk.length - pos);
      chunk.copy(this.header, this.headerFill, pos, pos + n);
      this.headerFill += n;
      pos += n;
      if (this.headerFill < TTRPC_HEADER_SIZE) break;
      this.headerFill = 0;
      this.onHeader(Buffer.from(this.header));
    }
  }

  private onHeader(header: Buffer): void {
    const streamId = header.readUInt32BE(4);
    const isRequest = header[8] === MessageType.Request;
    if (isRequest && streamId === 1 && this.sawRequest) this.endSession();
    if (isRequest) this.sawRequest = true;
    this.forward(header);
    this.dataLeft = header.readUInt32BE(0);
  }

  private forward(bytes: Buffer): void {
    if (!this.current || this.current.destroyed) {
      this.current = new SessionStream(this.port);
      this.onSession(this.current);
    }
    if (!this.current.push(Buffer.from(bytes))) this.port.pause();
  }

  private endSession(): void {
    const s = this.current;
    this.current = undefined;
    this.sawRequest = false;
    if (s) s.finish();
    if (this.port.isPaused()) this.port.resume();
  }
}

/** One session's view of the port: reads are what the splitter forwards, writes go to the port. */
class SessionStream extends Duplex {
  private finished = false;

  constructor(private readonly port: Duplex) {
    super({ allowHalfOpen: false });
  }

  /** Ends the session for reading and drops its later writes (its client is gone). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.push(null);
  }

  override _read(): void {
    if (this.port.isPaused()) this.port.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.finished || this.port.destroyed) return cb();
    this.port.write(chunk, (err) => cb(err ?? null));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.finished = true;
    cb(err);
  }
}
