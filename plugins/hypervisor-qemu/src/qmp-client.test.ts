// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCellaError } from '@cella/core';
import { FakeQmpServer, type FakeQmpHandler } from './fake-qmp-server';
import { MAX_QMP_LINE_BYTES, QmpClient, type QmpEvent } from './qmp-client';

describe('QmpClient', () => {
  let dir: string;
  let sock: string;
  let server: FakeQmpServer | undefined;
  let client: QmpClient | undefined;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-qmp-test-'));
    sock = path.join(dir, 'qmp.sock');
  });
  afterEach(async () => {
    client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function start(handler?: FakeQmpHandler): Promise<QmpClient> {
    server = new FakeQmpServer(handler);
    await server.listen(sock);
    client = await QmpClient.connect(sock, { timeoutMs: 2000 });
    return client;
  }

  it('reads the greeting, negotiates capabilities and returns a command result (fake: protocol edge cases)', async () => {
    const qmp = await start((cmd) => ({ return: { status: 'running', running: true }, id: cmd.id }));
    assert.deepEqual(await qmp.execute('query-status'), { status: 'running', running: true });
    assert.deepEqual(server!.commands.map((c) => c.execute), ['qmp_capabilities', 'query-status']);
  });

  it('retries the connection until the socket exists (fake: protocol edge cases)', async () => {
    server = new FakeQmpServer();
    const connecting = QmpClient.connect(sock, { timeoutMs: 3000 });
    await sleep(300);
    await server.listen(sock);
    client = await connecting;
    assert.equal(client.closed, false);
  });

  it('gives up with E_HYPERVISOR_TIMEOUT when no socket appears in time', async () => {
    const t0 = Date.now();
    await assert.rejects(QmpClient.connect(sock, { timeoutMs: 300 }), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_TIMEOUT'));
    assert.ok(Date.now() - t0 < 2000);
  });

  it('stops connecting when the signal aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(QmpClient.connect(sock, { timeoutMs: 5000, signal: abort.signal }), (err: Error) => err.name === 'AbortError');
  });

  it('matches concurrent commands to their replies by id, whatever the order (fake: protocol edge cases)', async () => {
    const held: Array<() => void> = [];
    const qmp = await start((cmd, conn) => {
      held.push(() => conn.write(`${JSON.stringify({ return: cmd.arguments, id: cmd.id })}\r\n`));
      if (held.length === 3) for (const reply of held.reverse()) reply();
      return undefined;
    });
    const results = await Promise.all([1, 2, 3].map((n) => qmp.execute('echo', { n })));
    assert.deepEqual(results, [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('reassembles replies split across writes (fake: protocol edge cases)', async () => {
    const qmp = await start((cmd, conn) => {
      const text = `${JSON.stringify({ return: { big: 'x'.repeat(100_000) }, id: cmd.id })}\r\n`;
      conn.write(text.slice(0, 10));
      setTimeout(() => conn.write(text.slice(10)), 20);
      return undefined;
    });
    const out = await qmp.execute<{ big: string }>('query-big');
    assert.equal(out.big.length, 100_000);
  });

  it("turns QEMU's error reply into a CellaError with its class and desc (fake: error reply)", async () => {
    const qmp = await start((cmd) => ({ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" }, id: cmd.id }));
    await assert.rejects(qmp.execute('device_del', { id: 'nope' }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_HYPERVISOR_QMP_COMMAND'));
      assert.deepEqual(err.details, { command: 'device_del', class: 'DeviceNotFound', desc: "Device 'nope' not found" });
      return true;
    });
    assert.equal(qmp.closed, false);
  });

  it('delivers events with their data and timestamp to listeners (fake: event)', async () => {
    const qmp = await start();
    const seen: QmpEvent[] = [];
    qmp.on('event', (e) => seen.push(e));
    const waited = qmp.waitForEvent('DEVICE_DELETED', (d) => d.device === 'disk1', 2000);
    server!.send(`${JSON.stringify({ event: 'DEVICE_DELETED', data: { path: '/machine/x/virtio-backend' }, timestamp: { seconds: 1, microseconds: 2 } })}\r\n`);
    server!.send(`${JSON.stringify({ event: 'DEVICE_DELETED', data: { device: 'disk1', path: '/machine/x' }, timestamp: { seconds: 3, microseconds: 4 } })}\r\n`);
    const e = await waited;
    assert.deepEqual(e, { event: 'DEVICE_DELETED', data: { device: 'disk1', path: '/machine/x' }, timestamp: { seconds: 3, microseconds: 4 } });
    assert.equal(seen.length, 2);
  });

  it('closes the connection when a line exceeds the bound (fake: oversized line)', async () => {
    const qmp = await start(() => undefined);
    const closed = new Promise<Error | undefined>((resolve) => qmp.on('close', resolve));
    const pending = qmp.execute('query-status');
    server!.send('{"return": "'.padEnd(MAX_QMP_LINE_BYTES + 10, 'x'));
    await assert.rejects(pending, (err: unknown) => isCellaError(err, 'E_HYPERVISOR_QMP'));
    const reason = await closed;
    assert.ok(isCellaError(reason, 'E_HYPERVISOR_QMP'));
    assert.equal(reason.details.limitBytes, MAX_QMP_LINE_BYTES);
    assert.equal(qmp.closed, true);
    await assert.rejects(qmp.execute('query-status'), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_QMP'));
  });

  it('closes the connection on a line that is not JSON (fake: protocol edge cases)', async () => {
    const qmp = await start(() => 'this is not json\r\n');
    await assert.rejects(qmp.execute('query-status'), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_QMP'));
    assert.equal(qmp.closed, true);
  });

  it('times a silent command out with E_HYPERVISOR_TIMEOUT and keeps the connection (fake: protocol edge cases)', async () => {
    const qmp = await start((cmd) => (cmd.execute === 'hang' ? undefined : { return: 7, id: cmd.id }));
    await assert.rejects(qmp.execute('hang', undefined, { timeoutMs: 100 }), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_TIMEOUT') && err.details.command === 'hang');
    assert.equal(await qmp.execute('other'), 7);
  });

  it('rejects pending commands when QEMU closes the socket (fake: protocol edge cases)', async () => {
    const qmp = await start((_cmd, conn) => {
      conn.end();
      return undefined;
    });
    await assert.rejects(qmp.execute('quit'), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_QMP'));
  });
});
