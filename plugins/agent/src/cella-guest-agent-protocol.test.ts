// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentChannel } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { encodeFrame, encodeResponse, FrameDecoder, MessageType, TtrpcServer } from '@cella/core/ttrpc';
import { CellaGuestAgent } from './cella-guest-agent';
import { fakeSandbox } from './test-support/guest-on-host';
import * as P from './protocol/agent-messages';

const checkOk = (): Buffer => P.encodeCheckResponse({ status: P.CHECK_SERVING, agentVersion: 'liar', kernelRelease: '6.1' });

/**
 * Guests that break the protocol (fake: a hostile or broken guest cannot be made on purpose in a VM).
 * `raw` answers the first request (Check) properly, then every later one with `bad(streamId)`.
 */
describe('CellaGuestAgent against a misbehaving guest', function () {
  this.timeout(10_000);
  let dir: string;
  let server: Server | undefined;
  const sockets: Socket[] = [];
  let agent: CellaGuestAgent;
  let channel: AgentChannel;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cella-liar-'));
    channel = { kind: 'virtio-serial', socketPath: join(dir, 'agent.sock'), name: 'agent.channel.0' };
    agent = new CellaGuestAgent(fakeSandbox(dir), { callTimeoutMs: 3000 });
  });
  afterEach(async () => {
    agent.close();
    for (const s of sockets.splice(0)) s.destroy();
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function listen(onSocket: (s: Socket) => void): Promise<void> {
    server = createServer((s) => { sockets.push(s); s.on('error', () => undefined); onSocket(s); });
    return new Promise((r) => server!.listen(channel.kind === 'virtio-serial' ? channel.socketPath : '', r));
  }

  function raw(bad: (streamId: number) => Buffer): Promise<void> {
    return listen((s) => {
      const decoder = new FrameDecoder(1 << 20);
      let requests = 0;
      s.on('data', (chunk: Buffer) => {
        for (const item of decoder.push(chunk)) {
          if (item.kind !== 'frame') continue;
          const id = item.frame.streamId;
          s.write(requests++ === 0
            ? encodeFrame({ streamId: id, type: MessageType.Response, flags: 0, data: encodeResponse({ payload: checkOk() }) })
            : bad(id));
        }
      });
    });
  }

  function lying(handlers: Partial<Record<P.AgentMethod, (b: Buffer) => Uint8Array>>): Promise<void> {
    const ttrpc = new TtrpcServer();
    ttrpc.register(P.AGENT_SERVICE, 'Check', () => checkOk());
    for (const [m, h] of Object.entries(handlers)) ttrpc.register(P.AGENT_SERVICE, m, h);
    return listen((s) => void ttrpc.serve(s));
  }

  it('fails a call with E_AGENT_PROTOCOL and disconnects when the guest answers garbage', async () => {
    // A Response frame whose protobuf says "field 1, 255 bytes" but ends after 2 bytes.
    await raw((id) => encodeFrame({ streamId: id, type: MessageType.Response, flags: 0, data: Buffer.from([0x0a, 0xff, 0x01]) }));
    await agent.connect(channel, { timeoutMs: 3000 });
    const lost = new Promise<Error | undefined>((r) => agent.onDidDisconnect(r));
    await assert.rejects(agent.wait('c1', ''), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
    assert.ok(isCellaError(await lost, 'E_TTRPC_PROTOCOL'));
    await assert.rejects(agent.check(), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL') || isCellaError(e, 'E_AGENT_DISCONNECTED'));
  });

  it('fails at once with E_AGENT_PROTOCOL on an oversized frame instead of waiting for its data', async () => {
    await raw((id) => {
      const header = Buffer.alloc(10);
      header.writeUInt32BE(16 << 20, 0);
      header.writeUInt32BE(id, 4);
      header[8] = MessageType.Response;
      return header;
    });
    await agent.connect(channel, { timeoutMs: 3000 });
    const t0 = Date.now();
    await assert.rejects(agent.readStdout('c1', '', 10), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
    assert.ok(Date.now() - t0 < 1000);
  });

  it('rejects read data longer than requested, an exit status out of range, and a write count above what was sent', async () => {
    await lying({
      ReadStdout: (b) => P.encodeReadStreamResponse({ data: Buffer.alloc(P.decodeReadStreamRequest(b).len + 5), eof: false }),
      WaitProcess: () => P.encodeWaitProcessResponse(300),
      WriteStdin: () => P.encodeWriteStreamResponse(100),
    });
    await agent.connect(channel, { timeoutMs: 3000 });
    await assert.rejects(agent.readStdout('c1', '', 10), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
    await assert.rejects(agent.wait('c1', ''), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
    await assert.rejects(agent.writeStdin('c1', '', Buffer.from('abc')), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
  });

  it('maps a guest error without a Cella code to E_AGENT_REMOTE with the gRPC category', async () => {
    await lying({ StartContainer: () => { throw new Error('plain failure'); } });
    await agent.connect(channel, { timeoutMs: 3000 });
    await assert.rejects(agent.startContainer('c1'), (e: unknown) =>
      isCellaError(e, 'E_AGENT_REMOTE') && e.category === 'Internal' && e.message === 'Plain failure');
    // A method the guest does not know: UNIMPLEMENTED, so NotSupported.
    await assert.rejects(agent.removeContainer('c1'), (e: unknown) => isCellaError(e, 'E_AGENT_REMOTE') && e.category === 'NotSupported');
  });

  it('refuses bad arguments before sending anything', async () => {
    await lying({});
    await agent.connect(channel, { timeoutMs: 3000 });
    await assert.rejects(agent.signal('c1', '', 0), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
    await assert.rejects(agent.readStdout('c1', '', 0), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
    await assert.rejects(agent.exec('c1', '', { user: { uid: 0, gid: 0 }, args: ['x'], cwd: '/' }), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
    await assert.rejects(new CellaGuestAgent(fakeSandbox(dir), { callTimeoutMs: 10 }).check(), (e: unknown) => isCellaError(e, 'E_AGENT_NOT_CONNECTED'));
  });
});
