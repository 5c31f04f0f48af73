// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentChannel, GuestStorage, OciSpec } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { CellaGuestAgent } from './cella-guest-agent';
import { AGENT_VERSION } from './protocol/agent-service';
import { fakeCrun, fakeSandbox, GuestOnHost } from './test-support/guest-on-host';

function tmpfs(mountPoint: string): GuestStorage {
  return { driver: 'tmpfs', source: '', fstype: 'tmpfs', options: [], mountPoint };
}

async function readAll(read: (max: number) => Promise<Buffer | undefined>): Promise<string> {
  let out = '';
  for (let d = await read(4096); d; d = await read(4096)) out += d.toString();
  return out;
}

describe('CellaGuestAgent with the real guest agent code on the host (fake crun: no VM, no rootfs)', function () {
  this.timeout(20_000);
  let dir: string;
  let h: GuestOnHost;
  let agent: CellaGuestAgent;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cella-agent-'));
    h = new GuestOnHost(dir, { crun: fakeCrun(dir) });
    agent = new CellaGuestAgent(fakeSandbox(dir), { callTimeoutMs: 5000 });
  });
  afterEach(async () => {
    agent.close();
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function spec(id: string, args: string[]): { spec: OciSpec; storages: GuestStorage[] } {
    const mp = join(dir, 'c', id);
    return {
      storages: [tmpfs(mp)],
      spec: {
        ociVersion: '1.1.0',
        process: { user: { uid: 0, gid: 0 }, args, cwd: '/', env: ['PATH=/usr/bin:/bin'] },
        root: { path: join(mp, 'rootfs') },
        linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/cni-1' }], cgroupsPath: 'kubepods-x' },
      },
    };
  }

  async function run(id: string, args: string[]): Promise<void> {
    await agent.createContainer({ containerId: id, ...spec(id, args) });
    await agent.startContainer(id);
  }

  it('connect retries until the agent appears (server started 1 s after the client)', async () => {
    const t0 = Date.now();
    setTimeout(() => void h.start(), 1000);
    const info = await agent.connect(h.channel, { timeoutMs: 8000 });
    assert.ok(Date.now() - t0 >= 1000);
    assert.deepEqual(info, { agentVersion: AGENT_VERSION, kernelRelease: '6.1.0-test-cloud-amd64' });
    assert.deepEqual(await agent.check(), info);
  });

  it('connect ignores answers to earlier tries when the socket accepts at once but the agent reads 1 s later', async () => {
    await h.start({ delayServeMs: 1000 });
    const t0 = Date.now();
    const info = await agent.connect(h.channel, { timeoutMs: 8000 });
    assert.ok(Date.now() - t0 >= 1000);
    assert.equal(info.agentVersion, AGENT_VERSION);
  });

  it('connect fails with E_AGENT_CONNECT_TIMEOUT naming the channel after the deadline', async () => {
    const t0 = Date.now();
    await assert.rejects(agent.connect(h.channel, { timeoutMs: 700 }), (err: unknown) =>
      isCellaError(err, 'E_AGENT_CONNECT_TIMEOUT') && err.category === 'Timeout' &&
      (err.details.channel as AgentChannel).kind === 'virtio-serial' && isCellaError(err.cause, 'E_AGENT_DIAL'));
    const took = Date.now() - t0;
    assert.ok(took >= 700 && took < 2000, `took ${took} ms`);
  });

  it('connect gives up at the deadline when the socket accepts but nothing ever answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(h.socketPath, r));
    try {
      await assert.rejects(agent.connect(h.channel, { timeoutMs: 1200 }), (err: unknown) =>
        isCellaError(err, 'E_AGENT_CONNECT_TIMEOUT') && isCellaError(err.cause, 'E_AGENT_TIMEOUT'));
    } finally {
      silent.close();
    }
  });

  it('keeps stdout and stderr apart and reports exit status 7', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('c1', ['/bin/sh', '-c', 'echo out; echo err >&2; echo more; exit 7']);
    const [out, err, status] = await Promise.all([
      readAll((n) => agent.readStdout('c1', '', n)), readAll((n) => agent.readStderr('c1', '', n)), agent.wait('c1', ''),
    ]);
    assert.deepEqual({ out, err, status }, { out: 'out\nmore\n', err: 'err\n', status: 7 });
  });

  it('echoes stdin through cat until stdin is closed', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('cat', ['/bin/cat']);
    assert.equal(await agent.writeStdin('cat', '', Buffer.from('hello\n')), 6);
    assert.equal((await agent.readStdout('cat', '', 100))?.toString(), 'hello\n');
    await agent.writeStdin('cat', '', Buffer.from('bye\n'));
    await agent.closeStdin('cat', '');
    assert.equal(await readAll((n) => agent.readStdout('cat', '', n)), 'bye\n');
    assert.equal(await agent.wait('cat', ''), 0);
  });

  it('reports 128+15 after SIGTERM through crun kill', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('sleeper', ['/bin/sleep', '30']);
    while (!existsSync(join(dir, 'crun', 'sleeper.pid'))) await sleep(20);
    await agent.signal('sleeper', '', 15);
    assert.equal(await agent.wait('sleeper', ''), 143);
    assert.ok(h.calls.some((c) => c.slice(-3).join(' ') === 'kill sleeper 15'));
  });

  it('runs an exec process with its own stdio, status and signal', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('box', ['/bin/sleep', '30']);
    while (!existsSync(join(dir, 'crun', 'box.pid'))) await sleep(20);
    const proc = { user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'echo exec-out; exit 3'], cwd: '/' };
    await agent.exec('box', 'e1', proc);
    assert.equal(await readAll((n) => agent.readStdout('box', 'e1', n)), 'exec-out\n');
    assert.equal(await agent.wait('box', 'e1'), 3);
    await agent.exec('box', 'e2', { ...proc, args: ['/bin/sleep', '30'] });
    while (!existsSync(join(dir, 'bundles', 'box', 'exec-e2.pid'))) await sleep(20);
    await agent.signal('box', 'e2', 9);
    assert.equal(await agent.wait('box', 'e2'), 137);
    await assert.rejects(agent.exec('box', 'e1', proc), (e: unknown) => isCellaError(e, 'E_AGENT_PROCESS_EXISTS') && e.category === 'AlreadyExists');
  });

  it('writes the guest bundle: the network namespace path dropped, cgroupsPath /cella/<id>, --no-pivot on an initramfs root', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('b1', ['/bin/true']);
    await agent.wait('b1', '');
    const config = JSON.parse(readFileSync(join(dir, 'bundles', 'b1', 'config.json'), 'utf8')) as OciSpec;
    assert.deepEqual(config.linux?.namespaces, [{ type: 'pid' }]);
    assert.equal(config.linux?.cgroupsPath, '/cella/b1');
    const argv = JSON.parse(readFileSync(join(dir, 'crun', 'b1.argv'), 'utf8')) as string[];
    assert.deepEqual(argv.slice(2), [`--log=file:${join(dir, 'bundles', 'b1', 'crun.log')}`, '--log-format=json', 'run', '--bundle', join(dir, 'bundles', 'b1'), '--pid-file', join(dir, 'bundles', 'b1', 'init.pid'), '--no-pivot', 'b1']);
  });

  it('sets up the sandbox (fake: no VM): hostname, storages mounted, network stored; remove and destroy undo it', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    mkdirSync(join(dir, 'sys', 'vdb'), { recursive: true });
    writeFileSync(join(dir, 'sys', 'vdb', 'serial'), 'cella-guest-root');
    const shared = join(dir, 'shared');
    await agent.createSandbox({
      sandboxId: 'sb1', hostname: 'pod-a',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, addresses: [{ family: 4, address: '10.0.0.2', prefixLength: 24 }] }],
      routes: [{ destination: 'default', gateway: '10.0.0.1', device: 'eth0', family: 4 }],
      neighbors: [{ address: '10.0.0.1', mac: '02:00:00:00:00:fe', device: 'eth0' }],
      storages: [{ driver: 'blk', source: 'cella-guest-root', fstype: 'ext4', options: ['ro'], mountPoint: shared }],
    });
    assert.deepEqual(h.calls.slice(0, 2), [['hostname', 'pod-a'], ['mount', '-t', 'ext4', '-o', 'ro', '/dev/vdb', shared]]);
    assert.equal(h.guest.sandbox.interfaces.get('eth0')?.addresses[0]?.address, '10.0.0.2');
    assert.equal(h.guest.sandbox.routes[0]?.gateway, '10.0.0.1');
    assert.equal(h.guest.sandbox.neighbors.length, 1);
    assert.deepEqual(h.networkCalls.map(([what]) => what), ['interface', 'routes', 'neighbors'], 'applied in this order, before CreateSandbox');
    // The container's root may live on a sandbox storage too.
    await agent.createContainer({ containerId: 'r1', storages: [], spec: { ...spec('r1', ['/bin/sleep', '30']).spec, root: { path: join(shared, 'r1') } } });
    await agent.startContainer('r1');
    await agent.removeContainer('r1');
    assert.ok(h.calls.some((c) => c.slice(-3).join(' ') === 'delete -f r1'));
    assert.equal(existsSync(join(dir, 'bundles', 'r1')), false);
    await assert.rejects(agent.wait('r1', ''), (e: unknown) => isCellaError(e, 'E_AGENT_CONTAINER_NOT_FOUND') && e.category === 'NotFound');
    await agent.destroySandbox();
    while (!h.calls.some((c) => c[0] === 'poweroff')) await sleep(10);
    assert.deepEqual(h.calls.slice(-2), [['umount', shared], ['poweroff', '-f']]);
  });

  it('brings guest errors back with their code and category', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await assert.rejects(agent.startContainer('nope'), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CONTAINER_NOT_FOUND') && e.category === 'NotFound' && e.message === 'No such container');
    const tty = spec('t1', ['/bin/sh']);
    tty.spec.process!.terminal = true;
    tty.spec.process!.terminal = 'yes' as unknown as boolean;
    await assert.rejects(agent.createContainer({ containerId: 't1', ...tty }), (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'));
    await run('c2', ['/bin/true']);
    await assert.rejects(agent.resizeTty('c2', '', 24, 80), (e: unknown) =>
      isCellaError(e, 'E_AGENT_TTY_UNSUPPORTED') && e.category === 'NotSupported' && e.message === 'The process has no terminal');
    await assert.rejects(agent.startContainer('c2'), (e: unknown) => isCellaError(e, 'E_AGENT_STATE') && e.category === 'FailedPrecondition');
    await assert.rejects(agent.createContainer({ containerId: 'c2', ...spec('c2', ['/bin/true']) }), (e: unknown) => isCellaError(e, 'E_AGENT_CONTAINER_EXISTS'));
    await assert.rejects(agent.createContainer({ containerId: '../x', ...spec('x', ['/bin/true']) }), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
  });

  it('fails CreateContainer with crun\'s reason when crun refuses the bundle, leaving nothing (fake crun refuses ociVersion 1.3.0 as crun 1.8.1)', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    const bad = spec('v1', ['/bin/true']);
    bad.spec.ociVersion = '1.3.0';
    await assert.rejects(agent.createContainer({ containerId: 'v1', ...bad }), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CONTAINER_REFUSED') && e.category === 'InvalidArgument'
      && e.message === "The guest's crun could not create the container: unknown version specified");
    assert.equal(existsSync(join(dir, 'bundles', 'v1')), false, 'the bundle is removed');
    assert.ok(h.calls.some((c) => c.slice(-3).join(' ') === 'delete -f v1'), 'crun state is deleted');
    await assert.rejects(agent.startContainer('v1'), (e: unknown) => isCellaError(e, 'E_AGENT_CONTAINER_NOT_FOUND'));
    // The same id can be created once the bundle is right.
    await run('v1', ['/bin/true']);
    assert.equal(await agent.wait('v1', ''), 0);
  });

  it('fails StartContainer with crun\'s reason when crun run exits before making the process; the container stays created', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await agent.createContainer({ containerId: 's1', ...spec('s1', ['/bin/true']) });
    // What changes between create and start here is the bundle crun reads (in a VM: what crun meets at run time).
    const file = join(dir, 'bundles', 's1', 'config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ociVersion: '9.9.9' }));
    await assert.rejects(agent.startContainer('s1'), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CONTAINER_REFUSED') && e.message === "The guest's crun could not start the container: unknown version specified");
    await assert.rejects(agent.wait('s1', ''), (e: unknown) => isCellaError(e, 'E_AGENT_STATE') && e.message === 'The container is not started');
    await agent.removeContainer('s1');
  });

  it('fails ExecProcess with crun\'s reason when crun cannot run the process (fake crun: a missing binary)', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    await run('x1', ['/bin/sleep', '30']);
    const proc = { user: { uid: 0, gid: 0 }, args: ['/nonexistent/binary'], cwd: '/' };
    await assert.rejects(agent.exec('x1', 'e1', proc), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CONTAINER_REFUSED') && /^The guest's crun could not run the exec process: cannot start \/nonexistent\/binary/.test(e.message));
    await assert.rejects(agent.wait('x1', 'e1'), (e: unknown) => isCellaError(e, 'E_AGENT_PROCESS_NOT_FOUND'), 'the exec id is free again');
    await agent.exec('x1', 'e1', { ...proc, args: ['/bin/true'] });
    assert.equal(await agent.wait('x1', 'e1'), 0);
  });

  it('fires onDidDisconnect when the guest goes away and fails later calls with E_AGENT_DISCONNECTED', async () => {
    await h.start();
    await agent.connect(h.channel, { timeoutMs: 5000 });
    const lost = new Promise<Error | undefined>((resolve) => agent.onDidDisconnect(resolve));
    await run('w1', ['/bin/sleep', '30']);
    const waiting = agent.wait('w1', '');
    await h.disconnect();
    assert.ok(isCellaError(await lost, 'E_TTRPC_CLOSED'));
    await assert.rejects(waiting, (e: unknown) => isCellaError(e, 'E_AGENT_DISCONNECTED') && e.category === 'Unavailable');
  });
});
