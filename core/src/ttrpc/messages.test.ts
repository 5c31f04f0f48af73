// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, MessageType } from './frame';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, GrpcCode } from './messages';
import { decodeMessage, ProtoWriter } from './protobuf';
import { ProtoDecodeError } from './ttrpc-errors';

const fromHex = (s: string): Buffer => Buffer.from(s.replace(/\s+|\|/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

describe('ttrpc envelopes against the research test vectors', () => {
  const connectData = fromHex(`0a17 ${ascii('containerd.task.v2.Task')} 1207 ${ascii('Connect')} 1a04 0a026331`);

  it('encodes the Connect request (id "c1") on stream 3 byte for byte', () => {
    const payload = new ProtoWriter().string(1, 'c1').finish();
    const data = encodeRequest({ service: 'containerd.task.v2.Task', method: 'Connect', payload });
    assert.deepEqual(data, connectData);
    assert.equal(data.length, 40);
    const wire = encodeFrame({ streamId: 3, type: MessageType.Request, flags: 0, data });
    assert.equal(wire.subarray(0, 10).toString('hex'), '00000028000000030100');
  });

  it('decodes the Connect request', () => {
    const req = decodeRequest(connectData);
    assert.equal(req.service, 'containerd.task.v2.Task');
    assert.equal(req.method, 'Connect');
    assert.equal(req.payload.toString('hex'), '0a026331');
    assert.equal(req.timeoutNano, undefined);
    assert.deepEqual(req.metadata, []);
  });

  it('encodes the Wait response with exit_status 3 and exited_at byte for byte', () => {
    const exitedAt = new ProtoWriter().int64(1, 1795641343).int32(2, 428221044);
    const payload = new ProtoWriter().uint32(1, 3).message(2, exitedAt).finish();
    const wire = encodeFrame({ streamId: 9, type: MessageType.Response, flags: 0, data: encodeResponse({ payload }) });
    assert.equal(wire.toString('hex'), fromHex('00000012 00000009 02 00 | 12 10 | 08 03 12 0c 08 ff9f9dd806 10 f4c498cc01').toString('hex'));
  });

  it('decodes the Wait response frame back to its fields', () => {
    const [item] = new FrameDecoder().push(fromHex('00000012 00000009 02 00 12 10 08 03 12 0c 08 ff9f9dd806 10 f4c498cc01'));
    assert.ok(item && item.kind === 'frame');
    const res = decodeResponse(item.frame.data);
    assert.equal(res.status, undefined);
    const wait = decodeMessage(res.payload, { exitStatus: 0, seconds: 0n, nanos: 0 }, (r, field, _wt, m) => {
      if (field === 1) m.exitStatus = r.uint32();
      else if (field === 2) {
        decodeMessage(r.bytes(), m, (tr, tf, _twt, tm) => {
          if (tf === 1) tm.seconds = tr.int64();
          else tm.nanos = tr.int32();
          return true;
        });
      } else return false;
      return true;
    });
    assert.deepEqual(wait, { exitStatus: 3, seconds: 1795641343n, nanos: 428221044 });
  });

  it('encodes and decodes the error response of Pause on a paused task', () => {
    const msg = 'cannot pause a paused container';
    const data = encodeResponse({ status: { code: GrpcCode.UNKNOWN, message: msg }, payload: Buffer.alloc(0) });
    assert.equal(data.length, 37);
    assert.equal(data.toString('hex'), `0a23080212 1f${ascii(msg)}`.replace(/\s/g, ''));
    assert.deepEqual(decodeResponse(data), { status: { code: 2, message: msg }, payload: Buffer.alloc(0) });
  });

  it('encodes an empty success as zero bytes and decodes zero bytes as success', () => {
    assert.equal(encodeResponse({ payload: Buffer.alloc(0) }).length, 0);
    assert.deepEqual(decodeResponse(Buffer.alloc(0)), { payload: Buffer.alloc(0) });
  });
});

describe('ttrpc envelopes', () => {
  it('round-trips timeout_nano and repeated metadata keys', () => {
    const req = {
      service: 's', method: 'm', payload: Buffer.from([1, 2, 3]), timeoutNano: 1_500_000_000n,
      metadata: [{ key: 'containerd-namespace-ttrpc', value: 'k8s.io' }, { key: 'k', value: 'a' }, { key: 'k', value: '' }],
    };
    assert.deepEqual(decodeRequest(encodeRequest(req)), req);
  });

  it('keeps a status with code 0 when it is on the wire', () => {
    const data = encodeResponse({ status: { code: 0, message: '' }, payload: Buffer.from('x') });
    assert.equal(data.toString('hex'), '0a00120178');
    assert.deepEqual(decodeResponse(data), { status: { code: 0, message: '' }, payload: Buffer.from('x') });
  });

  it('skips status details, unknown fields and known fields with an unexpected wire type', () => {
    const any = new ProtoWriter().string(1, 'containerd.events.TaskExit').bytes(2, Buffer.from([8, 1]));
    const status = new ProtoWriter().int32(1, 5).string(2, 'not found').message(3, any).message(3, any);
    const data = Buffer.concat([
      new ProtoWriter().message(1, status).uint32(2, 99).uint64(7, 1).finish(),
      new ProtoWriter().bytes(2, Buffer.from('ok')).finish(),
    ]);
    assert.deepEqual(decodeResponse(data), { status: { code: 5, message: 'not found' }, payload: Buffer.from('ok') });
    const req = Buffer.concat([new ProtoWriter().uint32(1, 5).string(1, 'svc').string(9, 'x').finish()]);
    assert.equal(decodeRequest(req).service, 'svc');
  });

  it('reads a negative status code as a negative int32', () => {
    const data = encodeResponse({ status: { code: -7, message: 'odd' }, payload: Buffer.alloc(0) });
    assert.equal(decodeResponse(data).status?.code, -7);
  });

  it('throws ProtoDecodeError for a truncated embedded status or metadata entry', () => {
    assert.throws(() => decodeResponse(Buffer.from('0a0308', 'hex')), ProtoDecodeError);
    assert.throws(() => decodeResponse(Buffer.from('0a020a05', 'hex')), ProtoDecodeError);
    assert.throws(() => decodeRequest(Buffer.from('2a020a05', 'hex')), ProtoDecodeError);
  });
});
