// SPDX-License-Identifier: Apache-2.0
import { TtrpcErrors } from './ttrpc-errors';

/** Every ttRPC frame starts with this header: length u32 BE, stream id u32 BE, type u8, flags u8. */
export const TTRPC_HEADER_SIZE = 10;
/** Largest data length a ttRPC peer accepts (`4 << 20`). */
export const TTRPC_MAX_DATA = 4 << 20;

export const MessageType = { Request: 1, Response: 2, Data: 3 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  data: Buffer;
}

/** One result of `FrameDecoder.push`: a whole frame, or the header of a frame whose data was discarded. */
export type DecodedItem =
  | { kind: 'frame'; frame: Frame }
  | { kind: 'oversized'; streamId: number; type: number; length: number };

/** Header plus data as one Buffer. Throws E_TTRPC_TOO_LARGE when the data is above `maxData`. */
export function encodeFrame(f: Frame, maxData: number = TTRPC_MAX_DATA): Buffer {
  if (f.data.length > maxData) {
    throw TtrpcErrors.TTRPC_TOO_LARGE.create('The ttRPC message is larger than the frame limit', {
      details: { streamId: f.streamId, length: f.data.length, max: maxData },
    });
  }
  checkRange('streamId', f.streamId, 0xffffffff);
  checkRange('type', f.type, 0xff);
  checkRange('flags', f.flags, 0xff);
  const out = Buffer.allocUnsafe(TTRPC_HEADER_SIZE + f.data.length);
  out.writeUInt32BE(f.data.length, 0);
  out.writeUInt32BE(f.streamId, 4);
  out[8] = f.type;
  out[9] = f.flags;
  out.set(f.data, TTRPC_HEADER_SIZE);
  return out;
}

function checkRange(field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw TtrpcErrors.TTRPC_ENCODE.create('The ttRPC frame header has a value out of range', { details: { field, value: v } });
  }
}

/**
 * Incremental frame parser for a byte stream. It never holds more than one header plus `maxData`
 * bytes: the data of an oversized frame is dropped as it arrives and the frame is reported once,
 * as soon as its header is complete. Every returned frame owns its data (a copy of the input).
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(TTRPC_HEADER_SIZE);
  private headerFill = 0;
  /** Data of the frame being collected; undefined while reading a header or discarding. */
  private data: Buffer | undefined;
  private dataFill = 0;
  private streamId = 0;
  private type = 0;
  private flags = 0;
  /** Bytes of an oversized frame still to drop. */
  private discard = 0;

  constructor(private readonly maxData: number = TTRPC_MAX_DATA) {}

  push(chunk: Buffer): DecodedItem[] {
    const out: DecodedItem[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.discard > 0) {
        const n = Math.min(this.discard, chunk.length - off);
        this.discard -= n;
        off += n;
      } else if (this.data !== undefined) {
        const n = Math.min(this.data.length - this.dataFill, chunk.length - off);
        chunk.copy(this.data, this.dataFill, off, off + n);
        this.dataFill += n;
        off += n;
        if (this.dataFill === this.data.length) out.push(this.emit());
      } else {
        const n = Math.min(TTRPC_HEADER_SIZE - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill === TTRPC_HEADER_SIZE) {
          const item = this.startFrame();
          if (item) out.push(item);
        }
      }
    }
    return out;
  }

  /** Bytes held for a frame that is not complete yet (header and data). */
  bufferedBytes(): number {
    return this.data === undefined ? this.headerFill : TTRPC_HEADER_SIZE + this.dataFill;
  }

  private startFrame(): DecodedItem | undefined {
    const length = this.header.readUInt32BE(0);
    this.streamId = this.header.readUInt32BE(4);
    this.type = this.header[8]!;
    this.flags = this.header[9]!;
    this.headerFill = 0;
    if (length > this.maxData) {
      this.discard = length;
      return { kind: 'oversized', streamId: this.streamId, type: this.type, length };
    }
    this.data = Buffer.allocUnsafe(length);
    this.dataFill = 0;
    return length === 0 ? this.emit() : undefined;
  }

  private emit(): DecodedItem {
    const frame: Frame = { streamId: this.streamId, type: this.type, flags: this.flags, data: this.data! };
    this.data = undefined;
    this.dataFill = 0;
    return { kind: 'frame', frame };
  }
}
