// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { E, isCellaError } from '../errors';
import { encodeFrame, MessageType, TTRPC_HEADER_SIZE, TTRPC_MAX_DATA, type Frame } from './frame';
import { decodeResponse, encodeRequest, GrpcCode, type TtrpcRequest, type TtrpcResponse } from './messages';
import { TtrpcServer, type TtrpcCallContext, type TtrpcServing } from './server';
import { RawPeer, socketPair, type SocketPair } from './test-socket-pair';

describe('TtrpcServer', () => {
  let pair: SocketPair;
  let server: TtrpcServer;
  let serving: TtrpcServing;
  let peer: RawPeer;
  const errors: Error[] = [];

  beforeEach(async () => {
    pair = await socketPair();
    server = new TtrpcServer({ onError: (e) => errors.push(e) });
    server.register('test.Echo', 'Echo', (p) => p);
    server.register('test.Echo', 'Upper', async (p) => Buffer.from(p.toString().toUpperCase()));
    serving = server.serve(pair.b);
    peer = new RawPeer(pair.a);
  });

  afterEach(async () => {
    serving.close();
    await pair.cleanup();
  });

  function sendRequest(streamId: number, req: Partial<TtrpcRequest>): void {
    const data = encodeRequest({ service: 'test.Echo', method: 'Echo', payload: Buffer.alloc(0), ...req });
    pair.a.write(encodeFrame({ streamId, type: MessageType.Request, flags: 0, data }));
  }

  async function nextResponse(): Promise<{ frame: Frame; res: TtrpcResponse }> {
    const item = await peer.next();
    assert.equal(item.kind, 'frame');
    const frame = (item as { frame: Frame }).frame;
    assert.equal(frame.type, MessageType.Response);
    return { frame, res: decodeResponse(frame.data) };
  }

  it('answers a call on the same stream id with the handler result', async () => {
    sendRequest(1, { method: 'Upper', payload: Buffer.from('abc') });
    const { frame, res } = await nextResponse();
    assert.equal(frame.streamId, 1);
    assert.deepEqual(res, { payload: Buffer.from('ABC') });
  });

  it('answers an empty success with a bare header, like the Go server', async () => {
    sendRequest(0x11, {});
    const { frame } = await nextResponse();
    assert.equal(encodeFrame(frame).toString('hex'), '00000000000000110200');
  });

  it('rejects an even stream id with INVALID_ARGUMENT', async () => {
    sendRequest(2, {});
    const { frame, res } = await nextResponse();
    assert.equal(frame.streamId, 2);
    assert.deepEqual(res.status, { code: GrpcCode.INVALID_ARGUMENT, message: 'StreamID must be odd for client initiated streams' });
  });

  it('rejects a stream id that does not increase', async () => {
    sendRequest(5, {});
    await nextResponse();
    sendRequest(3, {});
    const { frame, res } = await nextResponse();
    assert.equal(frame.streamId, 3);
    assert.deepEqual(res.status, { code: GrpcCode.INVALID_ARGUMENT, message: 'StreamID cannot be re-used and must increment' });
  });

  it('answers an unknown service and an unknown method with UNIMPLEMENTED', async () => {
    sendRequest(1, { service: 'nope.Svc' });
    assert.deepEqual((await nextResponse()).res.status, { code: GrpcCode.UNIMPLEMENTED, message: 'service nope.Svc' });
    sendRequest(3, { method: 'Nope' });
    assert.deepEqual((await nextResponse()).res.status, { code: GrpcCode.UNIMPLEMENTED, message: 'method Nope' });
  });

  it('answers a request that does not decode with INVALID_ARGUMENT and keeps serving', async () => {
    pair.a.write(encodeFrame({ streamId: 1, type: MessageType.Request, flags: 0, data: Buffer.from([0x0a, 0x05, 0x61]) }));
    const { frame, res } = await nextResponse();
    assert.equal(frame.streamId, 1);
    assert.equal(res.status?.code, GrpcCode.INVALID_ARGUMENT);
    assert.match(res.status!.message, /^unmarshal request error: /);
    sendRequest(3, { payload: Buffer.from('still here') });
    assert.deepEqual((await nextResponse()).res.payload, Buffer.from('still here'));
  });

  it('answers an oversized frame with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const length = TTRPC_MAX_DATA + 1024 * 1024;
    const header = Buffer.alloc(TTRPC_HEADER_SIZE);
    header.writeUInt32BE(length, 0);
    header.writeUInt32BE(7, 4);
    header[8] = MessageType.Request;
    pair.a.write(header);
    pair.a.write(Buffer.alloc(length, 0x41));
    sendRequest(9, { payload: Buffer.from('after') });
    const first = await nextResponse();
    assert.equal(first.frame.streamId, 7);
    assert.deepEqual(first.res.status, { code: GrpcCode.RESOURCE_EXHAUSTED, message: `message length ${length} exceed maximum message size of 4194304` });
    const second = await nextResponse();
    assert.equal(second.frame.streamId, 9);
    assert.deepEqual(second.res.payload, Buffer.from('after'));
  });

  it('ignores Data frames and unknown message types', async () => {
    pair.a.write(encodeFrame({ streamId: 1, type: MessageType.Data, flags: 0, data: Buffer.from('d') }));
    pair.a.write(encodeFrame({ streamId: 3, type: 0x7f, flags: 0, data: Buffer.from('?') }));
    sendRequest(5, { payload: Buffer.from('x') });
    const { frame } = await nextResponse();
    assert.equal(frame.streamId, 5);
  });

  it('runs handlers concurrently and answers as each finishes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    server.register('test.Slow', 'Wait', async () => { await gate; return Buffer.from('waited'); });
    sendRequest(1, { service: 'test.Slow', method: 'Wait' });
    sendRequest(3, { payload: Buffer.from('quick') });
    const first = await nextResponse();
    assert.equal(first.frame.streamId, 3);
    release();
    const second = await nextResponse();
    assert.equal(second.frame.streamId, 1);
    assert.deepEqual(second.res.payload, Buffer.from('waited'));
  });

  it('answers a thrown error with statusFromError', async () => {
    server.register('test.Fail', 'Cella', () => { throw E.SANDBOX_NOT_FOUND.create('Sandbox was not found'); });
    server.register('test.Fail', 'Plain', async () => { throw new Error('disk on fire'); });
    sendRequest(1, { service: 'test.Fail', method: 'Cella' });
    assert.deepEqual((await nextResponse()).res.status, { code: GrpcCode.NOT_FOUND, message: '[E_SANDBOX_NOT_FOUND] Sandbox was not found' });
    sendRequest(3, { service: 'test.Fail', method: 'Plain' });
    assert.deepEqual((await nextResponse()).res, { status: { code: GrpcCode.UNKNOWN, message: 'disk on fire' }, payload: Buffer.alloc(0) });
  });

  it('passes metadata and the deadline, and aborts the signal when timeout_nano passes', async () => {
    let seen: TtrpcCallContext | undefined;
    server.register('test.Slow', 'Forever', (_p, ctx) => {
      seen = ctx;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    const before = Date.now();
    const metadata = [{ key: 'containerd-namespace-ttrpc', value: 'default' }];
    sendRequest(1, { service: 'test.Slow', method: 'Forever', timeoutNano: 50_000_000n, metadata });
    const { res } = await nextResponse();
    assert.ok(Date.now() - before >= 45);
    assert.equal(res.status?.code, GrpcCode.DEADLINE_EXCEEDED);
    assert.ok(isCellaError(seen!.signal.reason, 'E_TTRPC_TIMEOUT'));
    assert.deepEqual(seen!.metadata, metadata);
    assert.ok(seen!.deadline! >= before + 50 && seen!.deadline! <= Date.now());
  });

  it('answers with RESOURCE_EXHAUSTED when the handler result does not fit in a frame', async () => {
    server.register('test.Big', 'Get', () => Buffer.alloc(TTRPC_MAX_DATA));
    sendRequest(1, { service: 'test.Big', method: 'Get' });
    const { res } = await nextResponse();
    assert.equal(res.status?.code, GrpcCode.RESOURCE_EXHAUSTED);
    assert.match(res.status!.message, /^message length 419430[0-9] exceed maximum message size of 4194304$/);
  });

  it('aborts running handlers and resolves done when the peer closes', async () => {
    let signal: AbortSignal | undefined;
    server.register('test.Slow', 'Hang', (_p, ctx) => { signal = ctx.signal; return new Promise(() => undefined); });
    sendRequest(1, { service: 'test.Slow', method: 'Hang' });
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (signal) { clearInterval(t); resolve(); } }, 2); });
    pair.a.end();
    await serving.done;
    assert.ok(signal!.aborted);
    assert.ok(isCellaError(signal!.reason, 'E_TTRPC_CLOSED'));
    assert.deepEqual(errors, []);
  });

  it('refuses to register the same method twice', () => {
    assert.throws(() => server.register('test.Echo', 'Echo', (p) => p), (e: unknown) => isCellaError(e, 'E_TTRPC_REGISTER'));
  });
});
