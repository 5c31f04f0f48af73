// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCellaError } from '../errors';
import { decodeMessage, ProtoReader, ProtoWriter } from './protobuf';
import { ProtoDecodeError } from './ttrpc-errors';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function assertDecodeError(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtoDecodeError, `expected ProtoDecodeError, got ${String(err)}`);
    assert.equal(err.code, 'E_TTRPC_DECODE');
    assert.equal(err.category, 'InvalidArgument');
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** Reads every field of `buf` as varint (wire type 0) values. */
function readVarints(buf: Uint8Array, read: (r: ProtoReader) => unknown): unknown[] {
  const r = new ProtoReader(buf);
  const out: unknown[] = [];
  for (let k = r.next(); k; k = r.next()) out.push(read(r));
  return out;
}

describe('ProtoWriter and ProtoReader', () => {
  it('round-trips every scalar type including the extremes', () => {
    const buf = new ProtoWriter()
      .uint32(1, 0xffffffff).int32(2, -1).int32(3, -0x80000000).int32(4, 0x7fffffff)
      .uint64(5, (1n << 64n) - 1n).int64(6, -(1n << 63n)).int64(7, (1n << 63n) - 1n).int64(8, -5)
      .bool(9, true).string(10, 'héllo ✓ 🐳').bytes(11, Buffer.from([0, 1, 255])).uint64(12, Number.MAX_SAFE_INTEGER)
      .finish();
    const got: Record<number, unknown> = {};
    decodeMessage(buf, got, (r, field, wt, msg) => {
      assert.equal(wt, field >= 10 && field <= 11 ? 2 : 0);
      const readers: Record<number, () => unknown> = {
        1: () => r.uint32(), 2: () => r.int32(), 3: () => r.int32(), 4: () => r.int32(), 5: () => r.uint64(),
        6: () => r.int64(), 7: () => r.int64(), 8: () => r.int64(), 9: () => r.bool(), 10: () => r.string(),
        11: () => r.bytes(), 12: () => r.uint64(),
      };
      msg[field] = readers[field]!();
      return true;
    });
    assert.deepEqual(got, {
      1: 0xffffffff, 2: -1, 3: -0x80000000, 4: 0x7fffffff, 5: (1n << 64n) - 1n, 6: -(1n << 63n),
      7: (1n << 63n) - 1n, 8: -5n, 9: true, 10: 'héllo ✓ 🐳', 11: Buffer.from([0, 1, 255]), 12: BigInt(Number.MAX_SAFE_INTEGER),
    });
  });

  it('writes a negative int32 as a 10-byte varint, like Go', () => {
    assert.equal(hex(new ProtoWriter().int32(1, -1).finish()), '08ffffffffffffffffff01');
    assert.equal(hex(new ProtoWriter().int32(1, -2).finish()), '08feffffffffffffffff01');
  });

  it('encodes the Go zero time seconds (-62135596800) as the documented 10-byte varint', () => {
    assert.equal(hex(new ProtoWriter().int64(1, -62135596800).finish()), '088092b8c398feffffff01');
    assert.equal(hex(new ProtoWriter().int64(1, -62135596800n).finish()), '088092b8c398feffffff01');
    const [secs] = readVarints(fromHex('088092b8c398feffffff01'), (r) => r.int64());
    assert.equal(secs, -62135596800n);
  });

  it('reads an int64 field as uint64 and int32 as its two-complement wrap', () => {
    const buf = new ProtoWriter().int64(1, -1n).finish();
    assert.deepEqual(readVarints(buf, (r) => r.uint64()), [(1n << 64n) - 1n]);
    assert.deepEqual(readVarints(buf, (r) => r.int32()), [-1]);
    assert.deepEqual(readVarints(buf, (r) => r.uint32()), [0xffffffff]);
  });

  it('round-trips random 64-bit values', () => {
    for (let i = 0; i < 500; i++) {
      const u = randomBytes(8).readBigUInt64LE() >> BigInt(i % 64);
      const s = BigInt.asIntN(64, randomBytes(8).readBigUInt64LE()) >> BigInt(i % 64);
      const buf = new ProtoWriter().uint64(1, u).int64(2, s).finish();
      const got = decodeMessage(buf, { u: 0n, s: 0n }, (r, field, _wt, m) => {
        if (field === 1) m.u = r.uint64();
        else m.s = r.int64();
        return true;
      });
      assert.deepEqual(got, { u, s });
    }
  });

  it('leaves out proto3 default values but always writes embedded messages', () => {
    const w = new ProtoWriter().uint32(1, 0).int32(2, 0).uint64(3, 0n).int64(4, 0).bool(5, false)
      .string(6, '').bytes(7, new Uint8Array());
    assert.equal(w.finish().length, 0);
    assert.equal(hex(w.message(8, new ProtoWriter()).finish()), '4200');
    assert.equal(hex(new ProtoWriter().message(1, new ProtoWriter().uint32(1, 150)).finish()), '0a03089601');
  });

  it('encodes field numbers up to 2^29-1 and rejects 0', () => {
    const buf = new ProtoWriter().uint32(0x1fffffff, 1).finish();
    const r = new ProtoReader(buf);
    assert.deepEqual(r.next(), { field: 0x1fffffff, wireType: 0 });
    assert.throws(() => new ProtoWriter().uint32(0, 1), /field number/);
  });

  it('rejects values outside the declared type with E_TTRPC_ENCODE', () => {
    const bad: Array<() => unknown> = [
      () => new ProtoWriter().uint32(1, -1), () => new ProtoWriter().uint32(1, 2 ** 32),
      () => new ProtoWriter().int32(1, 2 ** 31), () => new ProtoWriter().int32(1, 1.5),
      () => new ProtoWriter().uint64(1, -1n), () => new ProtoWriter().uint64(1, 1n << 64n),
      () => new ProtoWriter().int64(1, 1n << 63n), () => new ProtoWriter().int64(1, 2 ** 60),
    ];
    for (const fn of bad) assert.throws(fn, (e: unknown) => isCellaError(e, 'E_TTRPC_ENCODE'));
  });
});

describe('decodeMessage', () => {
  it('skips unknown fields of every wire type', () => {
    const unknown = fromHex('f801 05' + '81 01 0102030405060708' + '8a01 03 616263' + '95 01 01020304');
    const buf = Buffer.concat([new ProtoWriter().string(1, 'a').finish(), unknown, new ProtoWriter().uint32(2, 7).finish()]);
    const seen: number[] = [];
    const msg = decodeMessage(buf, { a: '', b: 0 }, (r, field, wt, m) => {
      seen.push(field);
      if (field === 1 && wt === 2) m.a = r.string();
      else if (field === 2 && wt === 0) m.b = r.uint32();
      else return false;
      return true;
    });
    assert.deepEqual(msg, { a: 'a', b: 7 });
    assert.deepEqual(seen, [1, 31, 16, 17, 18, 2]);
  });

  it('returns the init object untouched for an empty buffer', () => {
    const init = { x: 1 };
    assert.equal(decodeMessage(new Uint8Array(), init, () => true), init);
  });
});

describe('ProtoReader on malformed input', () => {
  const readAll = (buf: Uint8Array): unknown => decodeMessage(buf, {}, () => false);

  it('throws ProtoDecodeError for every truncation of a message', () => {
    const buf = new ProtoWriter().string(1, 'hello').int64(2, -3).bytes(3, Buffer.alloc(200, 7)).finish();
    const boundaries = new Set([0, 7, 18, buf.length]);
    for (let cut = 1; cut < buf.length; cut++) {
      if (boundaries.has(cut)) readAll(buf.subarray(0, cut));
      else assertDecodeError(() => readAll(buf.subarray(0, cut)));
    }
    readAll(buf);
  });

  it('rejects varints longer than 10 bytes and 10th bytes above 1', () => {
    assertDecodeError(() => readAll(fromHex('08 ffffffffffffffffff81 00')), /longer than 10 bytes/);
    assertDecodeError(() => readAll(fromHex('08 ffffffffffffffffff02')), /overflows 64 bits/);
    assertDecodeError(() => readAll(fromHex('ffffffffffffffffffff01')), /longer than 10 bytes/);
    assertDecodeError(() => readAll(fromHex('8080808010 00')), /key is out of range/);
    assertDecodeError(() => readAll(fromHex('08 80808080')), /truncated/);
  });

  it('rejects group and invalid wire types and field number 0', () => {
    assertDecodeError(() => readAll(fromHex('0b 0c')), /groups/);
    assertDecodeError(() => readAll(fromHex('0c')), /groups/);
    assertDecodeError(() => readAll(fromHex('0e 00')), /wire type/);
    assertDecodeError(() => readAll(fromHex('0f 00')), /wire type/);
    assertDecodeError(() => readAll(fromHex('00 00')), /field number 0/);
    assertDecodeError(() => new ProtoReader(new Uint8Array(8)).skip(3), /groups/);
  });

  it('rejects lengths past the end, including lengths above 2^32', () => {
    assertDecodeError(() => readAll(fromHex('0a 05 6162')), /past the end/);
    assertDecodeError(() => readAll(fromHex('0a 8080808010')), /past the end/);
    assertDecodeError(() => readAll(fromHex('0a ffffffffffffffffff01')), /past the end/);
    assertDecodeError(() => new ProtoReader(fromHex('0a 05 6162')).bytes());
  });

  it('rejects truncated fixed32 and fixed64 values', () => {
    assertDecodeError(() => readAll(fromHex('0d 010203')), /truncated/);
    assertDecodeError(() => readAll(fromHex('09 01020304050607')), /truncated/);
  });

  it('never throws anything but ProtoDecodeError on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const buf = randomBytes(1 + (i % 40));
      try {
        decodeMessage(buf, {}, (r, _f, wt) => {
          if (wt === 0) r.int64();
          else if (wt === 2) r.string();
          else return false;
          return true;
        });
      } catch (err) {
        assert.ok(err instanceof ProtoDecodeError, `unexpected ${String(err)} for ${buf.toString('hex')}`);
      }
    }
  });
});
