// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNothingLeft, CELLA, makeBundle, processesMentioning, tempDir } from '../helpers/cella';
import { runtime } from '../helpers/oci-runtime';
import { PodNetwork } from '../helpers/pod-network';

/** Pid and command of every process whose command line or CELLA_RUN_DIR mentions `root`. */
function sandboxProcesses(root: string): { pid: number; cmd: string }[] {
  return processesMentioning(root).map((line) => ({ pid: Number(line.split(' ')[0]), cmd: line.slice(line.indexOf(' ') + 1) }));
}

/** What /proc/<pid>/fd shows: fd number → target. */
function openFds(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch { /* closed meanwhile */ }
  }
  return out;
}

function status(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').map((l) => l.split(':\t')).filter((kv) => kv.length === 2)
    .map(([k, v]) => [k!, v!.trim()]));
}

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function assertGoneWithin(pids: number[], ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (pids.some(running) && Date.now() - t0 < ms) await sleep(50);
  assert.deepEqual(pids.filter(running), [], `${what} still run ${ms} ms after their starter was killed`);
}

/** Issue #9 items 2 and 6, issue #10 invariant (b): what an attacker or a crash would try, through the real CLI. */
describe('least privilege for the host processes (real CLI, real VM)', function () {
  this.timeout(240_000);
  let root: string;
  let dir: string;
  let net: PodNetwork | undefined;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('confine'); });
  afterEach(async () => {
    net?.remove();
    net = undefined;
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  const virtiofsConfig = async (network: boolean): Promise<string> => {
    const file = join(dir, 'config.toml');
    await fs.writeFile(file, ['version = 1', '[storage]', 'plugin = "@cella/storage-virtiofs"', ...(network ? ['[network]', 'plugin = "@cella/network-tap"'] : []), ''].join('\n'));
    return file;
  };

  it('with a pod network and virtio-fs: QEMU runs unprivileged, capability-less, under seccomp, and `create … 200>file` leaks fd 200 into no holder, QEMU or virtiofsd', async () => {
    net = new PodNetwork();
    const netns = net.podPath;
    const bundle = await makeBundle(['sleep', '300'], (s) => {
      const linux = s.linux as { namespaces: Array<{ type: string; path?: string }> };
      linux.namespaces = [...linux.namespaces.filter((n) => n.type !== 'network'), { type: 'network', path: netns }];
    });
    const config = await virtiofsConfig(true);
    const secret = join(dir, 'caller-secret');
    await fs.writeFile(secret, 'the caller\'s file\n', { mode: 0o600 });
    // The caller's shell opens fd 200 without close-on-exec, as `200>file` does. The holder keeps create's stdio:
    // a file, as a shim's fifo would be (a pipe would close under it once create returns).
    const outFile = join(dir, 'create.out');
    const created = spawnSync('bash', ['-c', 'exec "$0" "$@" 200>>"$SECRET" >"$OUT" 2>&1', process.execPath, CELLA, '--config', config, '--root', root, 'create', '--bundle', bundle, 'cf1'],
      { env: { ...process.env, SECRET: secret, OUT: outFile }, timeout: 120_000, stdio: 'ignore' });
    assert.equal(created.status, 0, readFileSync(outFile, 'utf8'));
    const oci = runtime(process.execPath, [CELLA, '--config', config], root);
    try {
      const procs = sandboxProcesses(root);
      const holder = procs.filter((p) => p.cmd.includes('holder.js'));
      const qemu = procs.filter((p) => p.cmd.includes('qemu-system'));
      const virtiofsd = procs.filter((p) => p.cmd.includes('virtiofsd'));
      assert.equal(holder.length, 1, procs.map((p) => p.cmd).join('\n'));
      assert.equal(qemu.length, 1, procs.map((p) => p.cmd).join('\n'));
      // virtiofsd's namespace sandbox is a parent and a child process.
      assert.ok(virtiofsd.length >= 1, procs.map((p) => p.cmd).join('\n'));
      for (const p of [...holder, ...qemu, ...virtiofsd]) {
        const fds = openFds(p.pid);
        assert.ok(!fds.has(200), `${p.cmd.slice(0, 60)} has fd 200 open: ${fds.get(200)}`);
        assert.deepEqual([...fds.values()].filter((t) => t === secret), [], `${p.cmd.slice(0, 60)} holds the caller's file`);
      }
      const s = status(qemu[0]!.pid);
      assert.notEqual(s.Uid!.split(/\s+/)[0], '0', `QEMU runs as ${s.Uid}`);
      assert.equal(new Set(s.Uid!.split(/\s+/)).size, 1);
      for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(s[cap], '0000000000000000', `${cap} of QEMU`);
      assert.equal(s.NoNewPrivs, '1');
      assert.equal(s.Seccomp, '2');
      // And the sandbox works: the container starts and runs on the pod network with its virtio-fs rootfs.
      assert.equal(oci(['start', 'cf1']).code, 0);
      const exec = oci(['exec', 'cf1', 'sh', '-c', 'ip -4 addr show dev eth0; ls /bin/sh']);
      assert.equal(exec.code, 0, exec.stderr);
      assert.match(exec.stdout, new RegExp(`inet ${net.podIp.replace(/\./g, '\\.')}/24`));
      assert.match(exec.stdout, /^\/bin\/sh$/m);
    } finally {
      const del = oci(['delete', '--force', 'cf1']);
      assert.equal(del.code, 0, del.stderr);
    }
  });

  it('SIGKILL of the holder takes QEMU and virtiofsd down within 2 s; delete then removes the rest', async () => {
    const bundle = await makeBundle(['sleep', '300']);
    const config = await virtiofsConfig(false);
    const oci = runtime(process.execPath, [CELLA, '--config', config], root);
    assert.equal(oci(['create', '--bundle', bundle, 'cf2']).code, 0);
    try {
      assert.equal(oci(['start', 'cf2']).code, 0);
      const procs = sandboxProcesses(root);
      const list = procs.map((p) => p.cmd).join('\n');
      const holder = procs.find((p) => p.cmd.includes('holder.js'));
      const qemu = procs.filter((p) => p.cmd.includes('qemu-system')).map((p) => p.pid);
      const virtiofsd = procs.filter((p) => p.cmd.includes('virtiofsd')).map((p) => p.pid);
      assert.ok(holder, list);
      assert.equal(qemu.length, 1, list);
      assert.ok(virtiofsd.length >= 1, list);
      process.kill(holder.pid, 'SIGKILL');
      await assertGoneWithin([...qemu, ...virtiofsd], 2000, 'QEMU and virtiofsd');
    } finally {
      const del = oci(['delete', '--force', 'cf2']);
      assert.equal(del.code, 0, del.stderr);
    }
  });

  it('SIGKILL of a foreground `cella run` takes its QEMU down within 2 s', async () => {
    const bundle = await makeBundle(['sh', '-c', 'echo READY; sleep 300']);
    const run = spawn(process.execPath, [CELLA, '--root', root, 'run', '--bundle', bundle, 'cf3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const t0 = Date.now();
    while (!out.includes('READY') && run.exitCode === null && Date.now() - t0 < 120_000) await sleep(100);
    assert.match(out, /READY/);
    const qemu = sandboxProcesses(root).filter((p) => p.cmd.includes('qemu-system')).map((p) => p.pid);
    assert.equal(qemu.length, 1);
    run.kill('SIGKILL');
    await assertGoneWithin(qemu, 2000, 'QEMU');
    // What the dead run made is journalled: the next command of this root unwinds it (as after any crash).
    const del = runtime(process.execPath, [CELLA], root)(['delete', '--force', 'cf3']);
    assert.ok(del.code === 0 || /does not exist/.test(del.stderr), del.stderr);
  });
});
