// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isCellaError } from '../errors';
import { encodeFrame, FrameDecoder, MessageType, TTRPC_HEADER_SIZE, TTRPC_MAX_DATA, type DecodedItem, type Frame } from './frame';

const frame = (streamId: number, type: number, data: Buffer, flags = 0): Frame => ({ streamId, type, flags, data });

function header(length: number, streamId: number, type: number, flags = 0): Buffer {
  const h = Buffer.alloc(TTRPC_HEADER_SIZE);
  h.writeUInt32BE(length, 0);
  h.writeUInt32BE(streamId, 4);
  h[8] = type;
  h[9] = flags;
  return h;
}

describe('encodeFrame', () => {
  it('writes length and stream id big-endian, then type and flags', () => {
    const out = encodeFrame(frame(3, MessageType.Request, Buffer.alloc(0x28, 0xaa)));
    assert.equal(out.subarray(0, 10).toString('hex'), '00000028000000030100');
    assert.equal(out.length, 10 + 0x28);
    assert.deepEqual(out.subarray(10), Buffer.alloc(0x28, 0xaa));
  });

  it('encodes an empty success response as the bare header from the research vector', () => {
    assert.equal(encodeFrame(frame(0x11, MessageType.Response, Buffer.alloc(0))).toString('hex'), '00000000000000110200');
  });

  it('accepts exactly 4 MiB of data and refuses one byte more with E_TTRPC_TOO_LARGE', () => {
    assert.equal(TTRPC_MAX_DATA, 4194304);
    assert.equal(encodeFrame(frame(1, 1, Buffer.alloc(TTRPC_MAX_DATA))).length, TTRPC_MAX_DATA + 10);
    assert.throws(() => encodeFrame(frame(1, 1, Buffer.alloc(TTRPC_MAX_DATA + 1))), (e: unknown) =>
      isCellaError(e, 'E_TTRPC_TOO_LARGE') && e.category === 'InvalidArgument' && e.details.length === TTRPC_MAX_DATA + 1);
    assert.throws(() => encodeFrame(frame(1, 1, Buffer.alloc(11)), 10), (e: unknown) => isCellaError(e, 'E_TTRPC_TOO_LARGE'));
  });

  it('refuses header values that do not fit their field', () => {
    for (const f of [frame(-1, 1, Buffer.alloc(0)), frame(2 ** 32, 1, Buffer.alloc(0)), frame(1, 256, Buffer.alloc(0)), frame(1, 1, Buffer.alloc(0), 1.5)]) {
      assert.throws(() => encodeFrame(f), (e: unknown) => isCellaError(e, 'E_TTRPC_ENCODE'));
    }
  });
});

describe('FrameDecoder', () => {
  const frames: Frame[] = [
    frame(1, MessageType.Request, Buffer.from('first request')),
    frame(1, MessageType.Response, Buffer.alloc(0)),
    frame(3, MessageType.Data, randomBytes(300), 0x04),
    frame(0xfffffffd, 0xff, Buffer.from([7]), 0xff),
  ];
  const wire = Buffer.concat(frames.map((f) => encodeFrame(f)));
  const asFrames = (items: DecodedItem[]): Frame[] => items.map((i) => {
    assert.equal(i.kind, 'frame');
    return (i as { frame: Frame }).frame;
  });

  it('decodes frames split across two chunks at every byte boundary', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      assert.deepEqual(asFrames(got), frames, `cut at ${cut}`);
      assert.equal(d.bufferedBytes(), 0);
    }
  });

  it('decodes frames fed one byte at a time and reports what it holds', () => {
    const d = new FrameDecoder();
    const got: DecodedItem[] = [];
    let max = 0;
    for (let i = 0; i < wire.length; i++) {
      got.push(...d.push(wire.subarray(i, i + 1)));
      max = Math.max(max, d.bufferedBytes());
    }
    assert.deepEqual(asFrames(got), frames);
    assert.equal(max, 10 + 299);
  });

  it('gives every frame its own copy of the data', () => {
    const chunk = Buffer.from(wire);
    const [first] = asFrames(new FrameDecoder().push(chunk));
    chunk.fill(0);
    assert.equal(first!.data.toString(), 'first request');
  });

  it('discards an oversized frame without buffering it and reports it once', () => {
    const d = new FrameDecoder();
    const length = TTRPC_MAX_DATA + 1024 * 1024;
    const items: DecodedItem[] = [...d.push(header(length, 5, MessageType.Request))];
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let fed = 0;
    while (fed < length) {
      const n = Math.min(piece.length, length - fed);
      items.push(...d.push(piece.subarray(0, n)));
      fed += n;
      assert.equal(d.bufferedBytes(), 0);
    }
    items.push(...d.push(encodeFrame(frame(7, MessageType.Request, Buffer.from('after')))));
    assert.deepEqual(items[0], { kind: 'oversized', streamId: 5, type: MessageType.Request, length });
    assert.equal(items.length, 2);
    assert.deepEqual(asFrames(items.slice(1)), [frame(7, MessageType.Request, Buffer.from('after'))]);
  });

  it('discards an oversized frame that arrives in the same chunk as the next frame', () => {
    const d = new FrameDecoder(16);
    const chunk = Buffer.concat([header(17, 1, 1), Buffer.alloc(17, 1), encodeFrame(frame(3, 1, Buffer.alloc(16, 2)))]);
    const items = d.push(chunk);
    assert.deepEqual(items[0], { kind: 'oversized', streamId: 1, type: 1, length: 17 });
    assert.deepEqual(asFrames(items.slice(1)), [frame(3, 1, Buffer.alloc(16, 2))]);
  });

  it('survives garbage and never holds more than a header plus maxData', () => {
    const max = 1024;
    for (let round = 0; round < 50; round++) {
      const d = new FrameDecoder(max);
      for (let i = 0; i < 50; i++) {
        for (const item of d.push(randomBytes(1 + (i * 37) % 700))) {
          if (item.kind === 'frame') assert.ok(item.frame.data.length <= max);
          else assert.ok(item.length > max);
        }
        assert.ok(d.bufferedBytes() <= TTRPC_HEADER_SIZE + max);
      }
    }
  });
});
