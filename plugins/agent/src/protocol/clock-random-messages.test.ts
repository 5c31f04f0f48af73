// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { isCellaError } from '@cella/core/errors';
import { ProtoReader, ProtoWriter } from '@cella/core/ttrpc';
import * as P from './agent-messages';

/** The fields of one message as (field number, wire type, raw value) in wire order. */
function fields(buf: Uint8Array): Array<[number, number, bigint | Buffer]> {
  const out: Array<[number, number, bigint | Buffer]> = [];
  const r = new ProtoReader(buf);
  for (let k = r.next(); k; k = r.next()) out.push([k.field, k.wireType, k.wireType === 2 ? Buffer.from(r.bytes()) : r.uint64()]);
  return out;
}

function invalid(field: string): (e: unknown) => boolean {
  return (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT') && e.message.startsWith(`${field} `) && e.details.field === field;
}

const protocol = (e: unknown): boolean => isCellaError(e, 'E_AGENT_PROTOCOL');

describe('SetGuestDateTime messages', () => {
  const Y2000 = 946_684_800;
  const Y2200 = 7_258_118_400;

  it('has the bounds the guest documents: 2000-01-01 to 2199-12-31, microseconds 0..999999', () => {
    assert.equal(P.GUEST_TIME_MIN_SEC, Y2000);
    assert.equal(P.GUEST_TIME_END_SEC, Y2200);
    assert.equal(new Date(P.GUEST_TIME_MIN_SEC * 1000).toISOString(), '2000-01-01T00:00:00.000Z');
    assert.equal(new Date((P.GUEST_TIME_END_SEC - 1) * 1000).toISOString(), '2199-12-31T23:59:59.000Z');
  });

  it('round-trips the extremes and a time of today', () => {
    for (const m of [{ sec: Y2000, usec: 0 }, { sec: Y2200 - 1, usec: 999_999 }, { sec: 1_764_000_000, usec: 123_456 }]) {
      assert.deepEqual(P.decodeSetGuestDateTimeRequest(P.encodeSetGuestDateTimeRequest(m)), m);
    }
  });

  it('uses Kata\'s field numbers as varints: Sec=1, Usec=2 (a zero Usec is left out, as proto3 does)', () => {
    assert.deepEqual(fields(P.encodeSetGuestDateTimeRequest({ sec: 1_764_000_000, usec: 7 })), [[1, 0, 1_764_000_000n], [2, 0, 7n]]);
    assert.deepEqual(fields(P.encodeSetGuestDateTimeRequest({ sec: 1_764_000_000, usec: 0 })), [[1, 0, 1_764_000_000n]]);
    // The exact bytes of Sec=1764000000: key 0x08 (field 1, varint), then the 5-byte varint.
    assert.deepEqual([...P.encodeSetGuestDateTimeRequest({ sec: 1_764_000_000, usec: 0 })], [0x08, 0x80, 0x82, 0x92, 0xc9, 0x06]);
  });

  it('decodes what a Go/Rust peer sends: negative int64 as 10-byte varints are refused as out of range, not misread', () => {
    const neg = new ProtoWriter().int64(1, -1).int64(2, 5).finish();
    assert.equal(neg.length, 13);
    assert.throws(() => P.decodeSetGuestDateTimeRequest(neg), invalid('SetGuestDateTimeRequest.Sec'));
    const negUsec = new ProtoWriter().int64(1, 1_764_000_000).int64(2, -1).finish();
    assert.throws(() => P.decodeSetGuestDateTimeRequest(negUsec), invalid('SetGuestDateTimeRequest.Usec'));
  });

  it('refuses out-of-range values naming the field: 1999, 2200, 2^63-1, a missing Sec, Usec of 10^6', () => {
    for (const sec of [Y2000 - 1, Y2200, 2n ** 63n - 1n, 0]) {
      const buf = new ProtoWriter().int64(1, sec).finish();
      assert.throws(() => P.decodeSetGuestDateTimeRequest(buf), invalid('SetGuestDateTimeRequest.Sec'), String(sec));
    }
    const usec = new ProtoWriter().int64(1, Y2000).int64(2, 1_000_000).finish();
    assert.throws(() => P.decodeSetGuestDateTimeRequest(usec), (e: unknown) =>
      invalid('SetGuestDateTimeRequest.Usec')(e) && /0\.\.999999, got 1000000/.test((e as Error).message));
  });

  it('skips unknown fields and a Sec of the wrong wire type (then missing: refused)', () => {
    const extra = new ProtoWriter().int64(1, Y2000).string(9, 'later field').finish();
    assert.deepEqual(P.decodeSetGuestDateTimeRequest(extra), { sec: Y2000, usec: 0 });
    const asBytes = new ProtoWriter().bytes(1, Buffer.from([1, 2, 3])).finish();
    assert.throws(() => P.decodeSetGuestDateTimeRequest(asBytes), invalid('SetGuestDateTimeRequest.Sec'));
  });

  it('fails every truncation with E_AGENT_PROTOCOL', () => {
    const buf = P.encodeSetGuestDateTimeRequest({ sec: 1_764_000_000, usec: 999_999 });
    for (let n = 1; n < buf.length; n++) {
      const cut = buf.subarray(0, n);
      // Cutting right after the Sec varint leaves a valid message of Sec only.
      if (n === 6) { assert.deepEqual(P.decodeSetGuestDateTimeRequest(cut), { sec: 1_764_000_000, usec: 0 }); continue; }
      assert.throws(() => P.decodeSetGuestDateTimeRequest(cut), protocol, `cut at ${n}`);
    }
  });
});

describe('ReseedRandomDev messages', () => {
  it('round-trips 16, 32 and 4096 bytes, copying the seed out of the frame', () => {
    for (const n of [16, 32, 4096]) {
      const seed = randomBytes(n);
      const frame = P.encodeReseedRandomDevRequest(seed);
      const got = P.decodeReseedRandomDevRequest(frame);
      assert.deepEqual(got, seed);
      frame.fill(0);
      assert.deepEqual(got, seed, 'the decoded seed does not share the frame\'s memory');
    }
  });

  it('uses Kata\'s field number: data=2, length-delimited', () => {
    const seed = Buffer.alloc(16, 0xab);
    assert.deepEqual(fields(P.encodeReseedRandomDevRequest(seed)), [[2, 2, seed]]);
    assert.deepEqual([...P.encodeReseedRandomDevRequest(seed).subarray(0, 2)], [0x12, 16]);
  });

  it('refuses fewer than 16 bytes, a missing field, and more than 4096 bytes, naming the field', () => {
    for (const n of [0, 1, 15, 4097, 64 * 1024]) {
      const buf = new ProtoWriter().bytes(2, Buffer.alloc(n, 1)).finish();
      assert.throws(() => P.decodeReseedRandomDevRequest(buf), (e: unknown) =>
        invalid('ReseedRandomDevRequest.data')(e) && (e as Error).message.includes(`got ${n} bytes`), `${n} bytes`);
    }
    assert.throws(() => P.decodeReseedRandomDevRequest(Buffer.alloc(0)), invalid('ReseedRandomDevRequest.data'));
  });

  it('does not take Kata\'s unused field 1 or a varint for the seed', () => {
    const field1 = new ProtoWriter().bytes(1, Buffer.alloc(32, 1)).finish();
    assert.throws(() => P.decodeReseedRandomDevRequest(field1), invalid('ReseedRandomDevRequest.data'));
    const varint = new ProtoWriter().uint64(2, 12345).finish();
    assert.throws(() => P.decodeReseedRandomDevRequest(varint), invalid('ReseedRandomDevRequest.data'));
  });

  it('refuses an oversized occurrence even when a later one fits (every occurrence is bounded)', () => {
    const buf = new ProtoWriter().bytes(2, Buffer.alloc(5000, 1)).bytes(2, Buffer.alloc(32, 2)).finish();
    assert.throws(() => P.decodeReseedRandomDevRequest(buf), invalid('ReseedRandomDevRequest.data'));
  });

  it('fails every truncation with E_AGENT_PROTOCOL', () => {
    const buf = P.encodeReseedRandomDevRequest(Buffer.alloc(200, 7));
    for (const n of [1, 2, 3, 100, buf.length - 1]) {
      assert.throws(() => P.decodeReseedRandomDevRequest(buf.subarray(0, n)), protocol, `cut at ${n}`);
    }
  });
});
