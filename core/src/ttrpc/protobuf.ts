// SPDX-License-Identifier: Apache-2.0
import { ProtoDecodeError, TtrpcErrors } from './ttrpc-errors';

/** Protobuf wire types this codec knows; 3 and 4 (groups) are rejected. */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

const MAX_FIELD = 0x1fffffff;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Hand-rolled proto3 writer. Scalar setters leave out proto3 defaults (0, false, '', empty bytes);
 * `message()` always writes, so an empty embedded message is still present on the wire.
 */
export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64);
  private pos = 0;

  uint32(field: number, v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw badValue(field, v, 'uint32');
    if (v !== 0) this.key(field, WireType.Varint).varint(v, 0);
    return this;
  }

  int32(field: number, v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw badValue(field, v, 'int32');
    // A negative int32 is sign-extended to 64 bits, so it always takes 10 bytes.
    if (v !== 0) this.key(field, WireType.Varint).varint(v >>> 0, v < 0 ? 0xffffffff : 0);
    return this;
  }

  uint64(field: number, v: number | bigint): this {
    const b = toBigInt(field, v, 'uint64');
    if (b < 0n || b > UINT64_MAX) throw badValue(field, v, 'uint64');
    return this.varint64(field, b);
  }

  int64(field: number, v: number | bigint): this {
    const b = toBigInt(field, v, 'int64');
    if (b < INT64_MIN || b > INT64_MAX) throw badValue(field, v, 'int64');
    return this.varint64(field, BigInt.asUintN(64, b));
  }

  bool(field: number, v: boolean): this {
    if (v) this.key(field, WireType.Varint).varint(1, 0);
    return this;
  }

  string(field: number, v: string): this {
    if (v.length === 0) return this;
    const len = Buffer.byteLength(v, 'utf8');
    this.key(field, WireType.LengthDelimited).varint(len, 0).reserve(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    if (v.length === 0) return this;
    return this.lengthDelimited(field, v);
  }

  /** Length-delimited embedded message; written even when empty. */
  message(field: number, v: Uint8Array | ProtoWriter): this {
    return this.lengthDelimited(field, v instanceof ProtoWriter ? v.finish() : v);
  }

  /** The bytes written so far, as a new Buffer. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private lengthDelimited(field: number, v: Uint8Array): this {
    this.key(field, WireType.LengthDelimited).varint(v.length, 0).reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  private varint64(field: number, v: bigint): this {
    if (v !== 0n) this.key(field, WireType.Varint).varint(Number(v & 0xffffffffn), Number(v >> 32n));
    return this;
  }

  private key(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > MAX_FIELD) throw badValue(field, field, 'field number');
    return this.varint(((field << 3) | wireType) >>> 0, 0);
  }

  /** Writes the 64-bit value hi:lo (both unsigned 32-bit) as a varint. */
  private varint(lo: number, hi: number): this {
    this.reserve(10);
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.pos++] = lo;
    return this;
  }

  private reserve(n: number): this {
    if (this.pos + n <= this.buf.length) return this;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    return this;
  }
}

/**
 * Bounds-checked proto3 reader over one message. Every read throws `ProtoDecodeError` on truncation,
 * varints longer than 10 bytes, group or unknown wire types and lengths past the end of the buffer.
 * `bytes()` returns a view into the input buffer, not a copy.
 */
export class ProtoReader {
  private readonly buf: Buffer;
  private pos = 0;
  private lo = 0;
  private hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The next field key, or `undefined` at the end of the message. */
  next(): { field: number; wireType: number } | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const at = this.pos;
    this.varint();
    if (this.hi !== 0) throw new ProtoDecodeError('Protobuf field key is out of range', { offset: at });
    const field = this.lo >>> 3;
    const wireType = this.lo & 7;
    if (field === 0) throw new ProtoDecodeError('Protobuf field number 0 is invalid', { offset: at });
    checkWireType(wireType, at);
    return { field, wireType };
  }

  uint32(): number { this.varint(); return this.lo; }
  int32(): number { this.varint(); return this.lo | 0; }
  uint64(): bigint { this.varint(); return (BigInt(this.hi) << 32n) | BigInt(this.lo); }
  int64(): bigint { return BigInt.asIntN(64, this.uint64()); }
  bool(): boolean { this.varint(); return this.lo !== 0 || this.hi !== 0; }
  string(): string { return this.bytes().toString('utf8'); }

  bytes(): Buffer {
    const at = this.pos;
    this.varint();
    const left = this.buf.length - this.pos;
    if (this.hi !== 0 || this.lo > left) {
      throw new ProtoDecodeError('Protobuf length runs past the end of the message', { offset: at, available: left });
    }
    const out = this.buf.subarray(this.pos, this.pos + this.lo);
    this.pos += this.lo;
    return out;
  }

  /** Skips the value of a field with the given wire type. */
  skip(wireType: number): void {
    checkWireType(wireType, this.pos);
    if (wireType === WireType.Varint) this.varint();
    else if (wireType === WireType.LengthDelimited) this.bytes();
    else this.advance(wireType === WireType.Fixed64 ? 8 : 4);
  }

  private advance(n: number): void {
    if (this.buf.length - this.pos < n) throw truncated(this.pos);
    this.pos += n;
  }

  /** Reads one varint into this.lo/this.hi (unsigned 32-bit halves). */
  private varint(): void {
    const at = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw truncated(at);
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >>> 4; }
      else hi |= (b & 0x7f) << (7 * i - 32);
      if (i === 9 && b > 1) {
        const reason = b & 0x80 ? 'Protobuf varint is longer than 10 bytes' : 'Protobuf varint overflows 64 bits';
        throw new ProtoDecodeError(reason, { offset: at });
      }
      if ((b & 0x80) === 0) { this.lo = lo >>> 0; this.hi = hi >>> 0; return; }
    }
  }
}

/**
 * Decodes one message: calls `onField` for every field; when it returns false (unknown field or
 * unexpected wire type) the field is skipped.
 */
export function decodeMessage<T>(
  buf: Uint8Array,
  init: T,
  onField: (r: ProtoReader, field: number, wireType: number, msg: T) => boolean,
): T {
  const r = new ProtoReader(buf);
  for (let k = r.next(); k !== undefined; k = r.next()) {
    if (!onField(r, k.field, k.wireType, init)) r.skip(k.wireType);
  }
  return init;
}

function checkWireType(wireType: number, offset: number): void {
  if (wireType === 3 || wireType === 4) throw new ProtoDecodeError('Protobuf groups are not supported', { offset, wireType });
  if (wireType > 5) throw new ProtoDecodeError('Protobuf wire type is invalid', { offset, wireType });
}

function truncated(offset: number): ProtoDecodeError {
  return new ProtoDecodeError('Protobuf message is truncated', { offset });
}

function toBigInt(field: number, v: number | bigint, type: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw badValue(field, v, type);
  return BigInt(v);
}

function badValue(field: number, value: number | bigint, type: string): Error {
  return TtrpcErrors.TTRPC_ENCODE.create(`Value is not a valid ${type}`, { details: { field, value: String(value) } });
}
