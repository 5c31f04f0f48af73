// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OciSpec } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { CellaGuestAgent } from './cella-guest-agent';
import { fakeSandbox, GuestOnHost } from './test-support/guest-on-host';

const BUSYBOX = '/bin/busybox';

function which(cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

/**
 * The guest agent code driving the REAL crun on the host (root; busybox rootfs; no VM). The host has
 * hybrid cgroups, which crun refuses, so each crun call runs in its own mount namespace with cgroup2 at
 * /sys/fs/cgroup and `--cgroup-manager=disabled` (a host workaround; the guest runs plain `crun`).
 */
describe('CellaGuestAgent with the guest agent code and real crun on the host', function () {
  this.timeout(30_000);
  let dir: string;
  let h: GuestOnHost;
  let agent: CellaGuestAgent;
  let crunRoot: string;

  before(function () {
    if (process.getuid?.() !== 0 || !which('crun') || !which('unshare') || !existsSync(BUSYBOX)) this.skip();
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cella-crun-'));
    crunRoot = join(dir, 'crun-state');
    const wrapper = `mount -t cgroup2 none /sys/fs/cgroup && exec crun --root ${crunRoot} --cgroup-manager=disabled "$@"`;
    h = new GuestOnHost(dir, { crun: ['unshare', '-m', 'sh', '-c', wrapper, 'crun'], procMounts: '/proc/mounts' });
    await h.start();
    agent = new CellaGuestAgent(fakeSandbox(dir), { callTimeoutMs: 10_000 });
    await agent.connect(h.channel, { timeoutMs: 5000 });
  });

  afterEach(async () => {
    agent.close();
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A busybox rootfs under a "storage" mount point (a plain folder: mounts are recorded, not run). */
  function container(id: string, args: string[]): { spec: OciSpec; storages: [] } {
    const root = join(dir, 'storage', id, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(root, d));
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const a of ['sh', 'sleep', 'cat', 'echo', 'true']) symlinkSync('busybox', join(root, 'bin', a));
    const template = join(dir, 'template', id);
    mkdirSync(template, { recursive: true });
    execFileSync('crun', ['spec', '--bundle', template]);
    const spec = JSON.parse(readFileSync(join(template, 'config.json'), 'utf8')) as OciSpec;
    spec.process = { ...spec.process!, terminal: false, args };
    delete spec.process.rlimits;
    spec.root = { path: root, readonly: false };
    return { spec, storages: [] };
  }

  /** The test's "storage" is registered as mounted by the sandbox, so roots under it are accepted. */
  async function sandbox(): Promise<void> {
    await agent.createSandbox({
      sandboxId: 'sb1', hostname: '', interfaces: [], routes: [], neighbors: [],
      storages: [{ driver: 'tmpfs', source: '', fstype: 'tmpfs', options: [], mountPoint: join(dir, 'storage') }],
    });
  }

  async function readAll(read: (max: number) => Promise<Buffer | undefined>): Promise<string> {
    let out = '';
    for (let d = await read(4096); d; d = await read(4096)) out += d.toString();
    return out;
  }

  async function running(id: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const state = execFileSync('crun', ['--root', crunRoot, 'list', '-q'], { encoding: 'utf8' });
      if (state.split('\n').includes(id)) return;
      await sleep(25);
    }
    throw new Error(`container ${id} never showed up in crun list`);
  }

  it('runs a container: stdout and stderr apart, exit status 7', async () => {
    await sandbox();
    await agent.createContainer({ containerId: 'c1', ...container('c1', ['/bin/sh', '-c', 'echo out; echo err >&2; exit 7']) });
    await agent.startContainer('c1');
    const [out, err, status] = await Promise.all([
      readAll((n) => agent.readStdout('c1', '', n)), readAll((n) => agent.readStderr('c1', '', n)), agent.wait('c1', ''),
    ]);
    assert.deepEqual({ out, err, status }, { out: 'out\n', err: 'err\n', status: 7 });
  });

  it('echoes stdin through cat, and signals: TERM reaches a trapping shell, KILL gives 137', async () => {
    await sandbox();
    await agent.createContainer({ containerId: 'cat', ...container('cat', ['/bin/cat']) });
    await agent.startContainer('cat');
    await agent.writeStdin('cat', '', Buffer.from('ping\n'));
    assert.equal((await agent.readStdout('cat', '', 100))?.toString(), 'ping\n');
    await agent.closeStdin('cat', '');
    assert.equal(await agent.wait('cat', ''), 0);

    await agent.createContainer({ containerId: 't', ...container('t', ['/bin/sh', '-c', "trap 'exit 99' TERM; while :; do sleep 1; done"]) });
    await agent.startContainer('t');
    await running('t');
    await sleep(300);
    await agent.signal('t', '', 15);
    assert.equal(await agent.wait('t', ''), 99);

    await agent.createContainer({ containerId: 'k', ...container('k', ['/bin/sleep', '60']) });
    await agent.startContainer('k');
    await running('k');
    await agent.signal('k', '', 9);
    assert.equal(await agent.wait('k', ''), 137);
  });

  it('execs in a running container with crun exec, signals the exec by its pid file, and removes with crun delete -f', async () => {
    await sandbox();
    await agent.createContainer({ containerId: 'box', ...container('box', ['/bin/sleep', '60']) });
    await agent.startContainer('box');
    await running('box');
    const proc = { user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'echo in-box; exit 3'], cwd: '/', env: ['PATH=/bin'] };
    await agent.exec('box', 'e1', proc);
    assert.equal(await readAll((n) => agent.readStdout('box', 'e1', n)), 'in-box\n');
    assert.equal(await agent.wait('box', 'e1'), 3);
    await agent.exec('box', 'e2', { ...proc, args: ['/bin/sleep', '60'] });
    while (!existsSync(join(dir, 'bundles', 'box', 'exec-e2.pid'))) await sleep(20);
    await agent.signal('box', 'e2', 9);
    assert.equal(await agent.wait('box', 'e2'), 137);
    const t0 = Date.now();
    await agent.removeContainer('box');
    assert.ok(Date.now() - t0 < 3000, 'crun delete -f stopped it');
    assert.equal(execFileSync('crun', ['--root', crunRoot, 'list', '-q'], { encoding: 'utf8' }).trim(), '');
    await assert.rejects(agent.wait('box', ''), (e: unknown) => isCellaError(e, 'E_AGENT_CONTAINER_NOT_FOUND'));
  });

  it('brings crun\'s own error text back to the host: a refused bundle fails CreateContainer, leaving nothing in crun', async () => {
    await sandbox();
    const c = container('bad', ['/bin/true']);
    c.spec.process!.oomScoreAdj = 5000;
    await assert.rejects(agent.createContainer({ containerId: 'bad', ...c }), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CONTAINER_REFUSED') && e.message === "The guest's crun could not create the container: write to /proc/self/oom_score_adj: Invalid argument");
    assert.equal(execFileSync('crun', ['--root', crunRoot, 'list', '-q'], { encoding: 'utf8' }).trim(), '');
    assert.equal(existsSync(join(dir, 'bundles', 'bad')), false);
  });

  it('a process that crun makes but cannot execute (no exec bit) fails with crun\'s text on its stderr and a non-zero status', async () => {
    await sandbox();
    const c = container('noexec', ['/bin/sh']);
    writeFileSync(join(dir, 'storage', 'noexec', 'rootfs', 'bin', 'sh'), 'not an executable');
    await agent.createContainer({ containerId: 'noexec', ...c });
    await agent.startContainer('noexec');
    const err = await readAll((n) => agent.readStderr('noexec', '', n));
    assert.notEqual(await agent.wait('noexec', ''), 0);
    assert.match(err, /exec|permission|denied|format/i);
  });
});
