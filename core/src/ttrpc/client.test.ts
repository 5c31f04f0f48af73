// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { E, isCellaError, type CellaError } from '../errors';
import { TtrpcClient } from './client';
import { encodeFrame, MessageType, TTRPC_HEADER_SIZE, TTRPC_MAX_DATA, type Frame } from './frame';
import { decodeRequest, encodeResponse, GrpcCode, type TtrpcRequest } from './messages';
import { TtrpcServer, type TtrpcServing } from './server';
import { TtrpcStatusError } from './status-error';
import { RawPeer, socketPair, type SocketPair } from './test-socket-pair';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<CellaError> {
  let caught: unknown;
  await p.then(() => assert.fail(`expected ${code}`), (e: unknown) => { caught = e; });
  assert.ok(isCellaError(caught, code), `expected ${code}, got ${String(caught)}`);
  return caught as CellaError;
}

describe('TtrpcClient with a TtrpcServer', () => {
  let pair: SocketPair;
  let server: TtrpcServer;
  let serving: TtrpcServing;
  let client: TtrpcClient;

  beforeEach(async () => {
    pair = await socketPair();
    server = new TtrpcServer();
    server.register('test.Echo', 'Echo', (p) => p);
    server.register('test.Echo', 'Delay', async (p) => { await sleep(p.readUInt16BE(0)); return p; });
    server.register('test.Echo', 'Fail', () => { throw E.SANDBOX_NOT_FOUND.create('Sandbox was not found'); });
    serving = server.serve(pair.b);
    client = new TtrpcClient(pair.a);
  });

  afterEach(async () => {
    client.close();
    serving.close();
    await pair.cleanup();
  });

  it('makes a call and returns the response payload', async () => {
    assert.deepEqual(await client.call('test.Echo', 'Echo', Buffer.from('hi')), Buffer.from('hi'));
    assert.deepEqual(await client.call('test.Echo', 'Echo', new Uint8Array()), Buffer.alloc(0));
  });

  it('runs concurrent calls whose answers arrive out of order', async () => {
    const delays = [200, 40, 150, 0, 100, 180, 20, 120];
    const order: number[] = [];
    const calls = delays.map(async (ms, i) => {
      const p = Buffer.alloc(3);
      p.writeUInt16BE(ms, 0);
      p[2] = i;
      const out = await client.call('test.Echo', 'Delay', p);
      order.push(i);
      return out;
    });
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.equal(r[2], i));
    assert.deepEqual(order, delays.map((d, i) => [d, i]).sort((x, y) => x[0]! - y[0]!).map(([, i]) => i));
  });

  it('carries a payload near the 4 MiB limit across many socket chunks', async () => {
    const big = Buffer.alloc(TTRPC_MAX_DATA - 64);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    assert.ok((await client.call('test.Echo', 'Echo', big)).equals(big));
  });

  it('rejects with TtrpcStatusError for an unknown service or method', async () => {
    const svc = await rejectsWith(client.call('nope.Svc', 'X', Buffer.alloc(0)), 'E_TTRPC_STATUS') as TtrpcStatusError;
    assert.equal(svc.grpcCode, GrpcCode.UNIMPLEMENTED);
    assert.equal(svc.remoteMessage, 'service nope.Svc');
    assert.equal(svc.category, 'NotSupported');
    const method = await rejectsWith(client.call('test.Echo', 'Nope', Buffer.alloc(0)), 'E_TTRPC_STATUS') as TtrpcStatusError;
    assert.equal(method.remoteMessage, 'method Nope');
  });

  it('brings a server-side CellaError back with its category and code', async () => {
    const err = await rejectsWith(client.call('test.Echo', 'Fail', Buffer.alloc(0)), 'E_TTRPC_STATUS') as TtrpcStatusError;
    assert.equal(err.category, 'NotFound');
    assert.equal(err.remoteCode, 'E_SANDBOX_NOT_FOUND');
    assert.deepEqual(err.details, { service: 'test.Echo', method: 'Fail', grpcCode: 5 });
  });

  it('times out a slow call with E_TTRPC_TIMEOUT and keeps working', async () => {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(300, 0);
    const err = await rejectsWith(client.call('test.Echo', 'Delay', p, { timeoutMs: 30 }), 'E_TTRPC_TIMEOUT');
    assert.equal(err.category, 'Timeout');
    assert.equal(await client.call('test.Echo', 'Echo', Buffer.from('ok')).then(String), 'ok');
    assert.equal(client.closed, false);
  });

  it('cancels a call when its signal aborts', async () => {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(300, 0);
    const ctrl = new AbortController();
    const call = client.call('test.Echo', 'Delay', p, { signal: ctrl.signal });
    setTimeout(() => ctrl.abort(new Error('user gave up')), 10);
    const err = await rejectsWith(call, 'E_TTRPC_CANCELLED');
    assert.equal((err.cause as Error).message, 'user gave up');
    await rejectsWith(client.call('test.Echo', 'Echo', p, { signal: ctrl.signal }), 'E_TTRPC_CANCELLED');
  });

  it('refuses a request above the frame limit without closing the connection', async () => {
    await rejectsWith(client.call('test.Echo', 'Echo', Buffer.alloc(TTRPC_MAX_DATA)), 'E_TTRPC_TOO_LARGE');
    assert.equal(await client.call('test.Echo', 'Echo', Buffer.from('fine')).then(String), 'fine');
  });

  it('rejects pending calls with E_TTRPC_CLOSED when the server goes away', async () => {
    const p = Buffer.alloc(2);
    p.writeUInt16BE(5000, 0);
    const closedWith: Array<Error | undefined> = [];
    client.onClose((e) => closedWith.push(e));
    const call = client.call('test.Echo', 'Delay', p);
    await sleep(20);
    serving.close();
    const err = await rejectsWith(call, 'E_TTRPC_CLOSED');
    assert.equal(err.category, 'Unavailable');
    assert.equal(client.closed, true);
    assert.equal(closedWith.length, 1);
    assert.ok(isCellaError(closedWith[0], 'E_TTRPC_CLOSED'));
    await rejectsWith(client.call('test.Echo', 'Echo', p), 'E_TTRPC_CLOSED');
  });
});

describe('TtrpcClient with a hand-driven peer', () => {
  let pair: SocketPair;
  let client: TtrpcClient;
  let peer: RawPeer;

  beforeEach(async () => {
    pair = await socketPair();
    client = new TtrpcClient(pair.a);
    peer = new RawPeer(pair.b);
  });

  afterEach(async () => {
    client.close();
    await pair.cleanup();
  });

  async function nextRequest(): Promise<{ frame: Frame; req: TtrpcRequest }> {
    const item = await peer.next();
    assert.equal(item.kind, 'frame');
    const frame = (item as { frame: Frame }).frame;
    return { frame, req: decodeRequest(frame.data) };
  }

  const respond = (streamId: number, payload: string, type: number = MessageType.Response): void => {
    pair.b.write(encodeFrame({ streamId, type, flags: 0, data: encodeResponse({ payload: Buffer.from(payload) }) }));
  };

  it('uses stream ids 1, 3, 5 and sends service, method, metadata and timeout_nano', async () => {
    const metadata = [{ key: 'a', value: '1' }];
    const calls = [
      client.call('s.A', 'One', Buffer.from('1'), { timeoutMs: 1500, metadata }),
      client.call('s.A', 'Two', Buffer.from('2')),
      client.call('s.A', 'Three', Buffer.from('3')),
    ];
    const seen = [await nextRequest(), await nextRequest(), await nextRequest()];
    assert.deepEqual(seen.map((s) => s.frame.streamId), [1, 3, 5]);
    assert.deepEqual(seen.map((s) => [s.frame.type, s.frame.flags]), [[1, 0], [1, 0], [1, 0]]);
    assert.deepEqual(seen[0]!.req, { service: 's.A', method: 'One', payload: Buffer.from('1'), timeoutNano: 1_500_000_000n, metadata });
    assert.equal(seen[1]!.req.timeoutNano, undefined);
    respond(5, 'three');
    respond(1, 'one');
    respond(3, 'two');
    assert.deepEqual((await Promise.all(calls)).map(String), ['one', 'two', 'three']);
  });

  it('ignores responses for unknown or timed-out stream ids and non-response frames', async () => {
    await rejectsWith(client.call('s', 'Late', Buffer.alloc(0), { timeoutMs: 20 }), 'E_TTRPC_TIMEOUT');
    const call = client.call('s', 'M', Buffer.alloc(0));
    await nextRequest();
    const second = await nextRequest();
    respond(1, 'too late');
    respond(99, 'nobody asked');
    respond(second.frame.streamId, 'data frame', MessageType.Data);
    respond(second.frame.streamId, 'mystery', 0x42);
    respond(second.frame.streamId, 'answer');
    assert.equal(String(await call), 'answer');
    assert.equal(client.closed, false);
  });

  it('closes the connection when the peer sends garbage', async () => {
    const closedWith: Array<Error | undefined> = [];
    client.onClose((e) => closedWith.push(e));
    const call = client.call('s', 'M', Buffer.alloc(0));
    await nextRequest();
    pair.b.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    const err = await rejectsWith(call, 'E_TTRPC_PROTOCOL');
    assert.equal(err.category, 'Unavailable');
    assert.match(err.message, /frame of \d+ bytes, above the 4194304 byte limit/);
    assert.equal(client.closed, true);
    assert.ok(isCellaError(closedWith[0], 'E_TTRPC_PROTOCOL'));
  });

  it('closes the connection on an oversized frame without waiting for its data', async () => {
    const call = client.call('s', 'M', Buffer.alloc(0));
    await nextRequest();
    const header = Buffer.alloc(TTRPC_HEADER_SIZE);
    header.writeUInt32BE(TTRPC_MAX_DATA + 1, 0);
    header.writeUInt32BE(1, 4);
    header[8] = MessageType.Response;
    pair.b.write(header);
    const err = await rejectsWith(call, 'E_TTRPC_PROTOCOL');
    assert.deepEqual(err.details, { streamId: 1, type: 2, length: TTRPC_MAX_DATA + 1, max: TTRPC_MAX_DATA });
  });

  it('closes the connection on a response that does not decode', async () => {
    const call = client.call('s', 'M', Buffer.alloc(0));
    const other = client.call('s', 'N', Buffer.alloc(0));
    await nextRequest();
    pair.b.write(encodeFrame({ streamId: 1, type: MessageType.Response, flags: 0, data: Buffer.from([0x12, 0x7f, 0x00]) }));
    const err = await rejectsWith(call, 'E_TTRPC_PROTOCOL');
    assert.match(err.message, /does not decode/);
    assert.ok(isCellaError(err.cause, 'E_TTRPC_DECODE'));
    await rejectsWith(other, 'E_TTRPC_PROTOCOL');
  });

  it('turns a non-zero status into TtrpcStatusError even with a payload present', async () => {
    const call = client.call('containerd.task.v2.Task', 'Pause', Buffer.alloc(0));
    const { frame } = await nextRequest();
    const data = encodeResponse({ status: { code: 2, message: 'cannot pause a paused container' }, payload: Buffer.from('x') });
    pair.b.write(encodeFrame({ streamId: frame.streamId, type: MessageType.Response, flags: 0, data }));
    const err = await rejectsWith(call, 'E_TTRPC_STATUS') as TtrpcStatusError;
    assert.equal(err.message, 'Remote call failed: cannot pause a paused container');
    assert.equal(err.grpcCode, 2);
  });

  it('reports a peer close to pending calls and onClose listeners', async () => {
    const closedWith: Array<Error | undefined> = [];
    const sub = client.onClose((e) => closedWith.push(e));
    const disposed: Array<Error | undefined> = [];
    client.onClose((e) => disposed.push(e)).dispose();
    const call = client.call('s', 'M', Buffer.alloc(0));
    await nextRequest();
    pair.b.end();
    await rejectsWith(call, 'E_TTRPC_CLOSED');
    assert.equal(closedWith.length, 1);
    assert.deepEqual(disposed, []);
    sub.dispose();
    const late = await new Promise<Error | undefined>((resolve) => client.onClose(resolve));
    assert.ok(isCellaError(late, 'E_TTRPC_CLOSED'));
  });

  it('close() is idempotent, rejects pending calls and tells listeners without an error', async () => {
    const closedWith: Array<Error | undefined> = [];
    client.onClose((e) => closedWith.push(e));
    const call = client.call('s', 'M', Buffer.alloc(0));
    client.close();
    client.close();
    assert.equal(client.closed, true);
    await rejectsWith(call, 'E_TTRPC_CLOSED');
    assert.deepEqual(closedWith, [undefined]);
    await new Promise<void>((resolve) => pair.b.once('close', resolve));
  });
});
