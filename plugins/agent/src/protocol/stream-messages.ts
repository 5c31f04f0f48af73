// SPDX-License-Identifier: Apache-2.0
import { readRef, type ContainerRef } from './container-messages';
import { decodeBounded, LEN, protocolError, readBytes, VARINT, writer, WireLimits } from './wire-limits';

/*
 * Stdio messages with Kata's field numbers. DEVIATION: `ReadStreamResponse.eof`=2 is new: a read at the
 * end of the stream answers `eof=true` with no data, where Kata's agent answers an error.
 */

export interface ReadStreamMessage extends ContainerRef { len: number }
export interface ReadStreamResult { data: Buffer; eof: boolean }
export interface WriteStreamMessage extends ContainerRef { data: Buffer }
export interface TtyWinResizeMessage extends ContainerRef { rows: number; columns: number }

/** Kata `ReadStreamRequest`: container_id=1, exec_id=2, len=3. */
export function encodeReadStreamRequest(m: ReadStreamMessage): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).uint32(3, m.len).finish();
}

export function decodeReadStreamRequest(buf: Uint8Array): ReadStreamMessage {
  return decodeBounded('ReadStreamRequest', buf, { containerId: '', execId: '', len: 0 }, (r, f, wt, m) => {
    if (readRef(r, f, wt, m)) return true;
    if (f === 3 && wt === VARINT) m.len = r.uint32();
    else return false;
    return true;
  });
}

/** Kata `ReadStreamResponse`: data=1; plus eof=2. */
export function encodeReadStreamResponse(m: ReadStreamResult): Buffer {
  return writer().bytes(1, m.data).bool(2, m.eof).finish();
}

/** Decodes and checks the answer against the request: at most `requested` bytes, and data xor eof. */
export function decodeReadStreamResponse(buf: Uint8Array, requested: number): ReadStreamResult {
  const m = decodeBounded('ReadStreamResponse', buf, { data: Buffer.alloc(0) as Buffer, eof: false }, (r, f, wt, msg) => {
    if (f === 1 && wt === LEN) msg.data = readBytes(r, 'data', Math.min(requested, WireLimits.data));
    else if (f === 2 && wt === VARINT) msg.eof = r.bool();
    else return false;
    return true;
  });
  if (m.eof && m.data.length > 0) throw protocolError('A read answered both data and end of stream', { length: m.data.length });
  if (!m.eof && m.data.length === 0) throw protocolError('A read answered neither data nor end of stream', {});
  return m;
}

/** Kata `WriteStreamRequest`: container_id=1, exec_id=2, data=3. */
export function encodeWriteStreamRequest(m: WriteStreamMessage): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).bytes(3, m.data).finish();
}

export function decodeWriteStreamRequest(buf: Uint8Array): WriteStreamMessage {
  return decodeBounded('WriteStreamRequest', buf, { containerId: '', execId: '', data: Buffer.alloc(0) as Buffer }, (r, f, wt, m) => {
    if (readRef(r, f, wt, m)) return true;
    if (f === 3 && wt === LEN) m.data = readBytes(r, 'data');
    else return false;
    return true;
  });
}

/** Kata `WriteStreamResponse`: len=1. */
export function encodeWriteStreamResponse(len: number): Buffer {
  return writer().uint32(1, len).finish();
}

/** Decodes and checks the answer: the guest cannot have written more than it was sent. */
export function decodeWriteStreamResponse(buf: Uint8Array, sent: number): number {
  const m = decodeBounded('WriteStreamResponse', buf, { len: 0 }, (r, f, wt, msg) => {
    if (f === 1 && wt === VARINT) msg.len = r.uint32();
    else return false;
    return true;
  });
  if (m.len > sent) throw protocolError('A write answered more bytes than were sent', { len: m.len, sent });
  return m.len;
}

/** Kata `TtyWinResizeRequest`: container_id=1, exec_id=2, row=3, column=4. */
export function encodeTtyWinResizeRequest(m: TtyWinResizeMessage): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).uint32(3, m.rows).uint32(4, m.columns).finish();
}

export function decodeTtyWinResizeRequest(buf: Uint8Array): TtyWinResizeMessage {
  return decodeBounded('TtyWinResizeRequest', buf, { containerId: '', execId: '', rows: 0, columns: 0 }, (r, f, wt, m) => {
    if (readRef(r, f, wt, m)) return true;
    if (f === 3 && wt === VARINT) m.rows = r.uint32();
    else if (f === 4 && wt === VARINT) m.columns = r.uint32();
    else return false;
    return true;
  });
}
