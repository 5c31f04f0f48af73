// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { isCellaError } from '@cella/core/errors';
import { dialChannel } from './dial-channel';
import { hybridVsockHandshake } from './hybrid-vsock-handshake';
import { connectUnix } from './unix-dial';

/** A unix server that plays the VMM side of hybrid vsock (fake: no Firecracker on this host). */
function fakeVmm(path: string, answer: (line: string, socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    let got = '';
    const onData = (b: Buffer): void => {
      got += b.toString('latin1');
      if (!got.includes('\n')) return;
      socket.off('data', onData);
      answer(got.slice(0, got.indexOf('\n')), socket);
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

function readAll(stream: Duplex, n: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    stream.on('data', (b: Buffer) => {
      got += b.toString();
      if (got.length >= n) resolve(got);
    });
  });
}

describe('dialChannel', () => {
  let dir: string;
  const servers: Server[] = [];
  const streams: Duplex[] = [];

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-dial-')); });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to the virtio-serial unix socket', async () => {
    const path = join(dir, 'agent.sock');
    const server = createServer((s) => s.end('hello'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    const stream = await dialChannel({ kind: 'virtio-serial', socketPath: path, name: 'agent.channel.0' });
    streams.push(stream);
    assert.equal(await readAll(stream, 5), 'hello');
  });

  it('fails with E_AGENT_DIAL (ENOENT cause) when the socket does not exist', async () => {
    await assert.rejects(dialChannel({ kind: 'virtio-serial', socketPath: join(dir, 'none.sock'), name: 'x' }), (err: unknown) =>
      isCellaError(err, 'E_AGENT_DIAL') && (err.cause as NodeJS.ErrnoException).code === 'ENOENT');
  });

  it('refuses vsock with E_AGENT_VSOCK_UNSUPPORTED (NotSupported)', async () => {
    await assert.rejects(dialChannel({ kind: 'vsock', cid: 3, port: 1024 }), (err: unknown) =>
      isCellaError(err, 'E_AGENT_VSOCK_UNSUPPORTED') && err.category === 'NotSupported');
  });

  it('does the hybrid-vsock CONNECT handshake and keeps bytes sent after the OK line (fake: no Firecracker)', async () => {
    const path = join(dir, 'hv.sock');
    let line = '';
    servers.push(await fakeVmm(path, (l, s) => { line = l; s.write('OK 1073741824\nafter'); }));
    const stream = await dialChannel({ kind: 'hybrid-vsock', socketPath: path, port: 1024 });
    streams.push(stream);
    assert.equal(line, 'CONNECT 1024');
    assert.equal(await readAll(stream, 5), 'after');
  });

  it('fails the handshake when the VMM refuses, answers too long, or closes (fake: no Firecracker)', async () => {
    const cases: Array<[string, (l: string, s: Socket) => void]> = [
      ['refused', (_l, s) => s.write('NO such port\n')],
      ['long', (_l, s) => s.write('x'.repeat(100))],
      ['closed', (_l, s) => s.end()],
    ];
    for (const [name, answer] of cases) {
      const path = join(dir, `${name}.sock`);
      servers.push(await fakeVmm(path, answer));
      await assert.rejects(dialChannel({ kind: 'hybrid-vsock', socketPath: path, port: 5 }),
        (err: unknown) => isCellaError(err, 'E_AGENT_HANDSHAKE'), name);
    }
  });

  it('times the handshake out when the VMM never answers (fake: no Firecracker)', async () => {
    const path = join(dir, 'silent.sock');
    servers.push(await fakeVmm(path, () => undefined));
    const socket = await connectUnix(path);
    streams.push(socket);
    const t0 = Date.now();
    await assert.rejects(hybridVsockHandshake(socket, 1024, { timeoutMs: 200 }), (err: unknown) => isCellaError(err, 'E_AGENT_HANDSHAKE'));
    assert.ok(Date.now() - t0 < 2000);
  });
});
