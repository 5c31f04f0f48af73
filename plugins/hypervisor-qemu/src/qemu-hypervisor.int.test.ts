// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, isCellaError, JsonLogger, processStartTime, type FileJournal, type SandboxContext, type VmExit, type VmSpec } from '@cella/core';
import { makeTestSandbox } from '@cella/core/testkit';
import { accelCacheFile, probeAccel } from './kvm-probe';
import { kvmDeviceProblem, isPvmHost } from './qemu-binary';
import type { QemuConfig } from './qemu-config';
import { QemuHypervisor } from './qemu-hypervisor';
import { BOOT_MARKER, buildTestInitramfs, WATCH_MARKER } from './test-support/test-initramfs';
import { findTestKernel } from './test-support/test-kernel';

/** Pids of processes whose command line holds every needle. */
function processesWith(...needles: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (needles.every((n) => cmdline.includes(n))) out.push(Number(entry));
  }
  return out;
}

interface Vm {
  hv: QemuHypervisor;
  sandbox: SandboxContext;
  journal: FileJournal;
  spec: VmSpec;
  logs: string[];
  exits: VmExit[];
}

describe('QemuHypervisor (real QEMU, TCG)', function () {
  this.timeout(90_000);
  let kernel: string;
  let initrd: string;
  let shared: string;
  const live: Vm[] = [];
  const roots: string[] = [];

  before(async function () {
    const found = await findTestKernel();
    if ('skip' in found) {
      this.test!.parent!.title += ` (skipped: ${found.skip})`;
      this.skip();
    }
    kernel = found.path;
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-qemu-int-'));
    initrd = await buildTestInitramfs(shared);
  });

  afterEach(async () => {
    for (const vm of live.splice(0)) {
      const pids = vm.hv.pids();
      await vm.hv.stop({ force: true }).catch(() => undefined);
      for (const pid of pids) assert.ok(!isAlive(pid), `QEMU ${pid} still runs after the test`);
    }
    for (const dir of roots.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  after(async () => {
    if (shared) await fs.rm(shared, { recursive: true, force: true });
  });

  async function makeVm(config: Partial<QemuConfig> = {}, over: Partial<VmSpec> = {}, cacheDir?: string): Promise<Vm> {
    const { root, sandbox, journal, logs } = await makeTestSandbox('cella-qemu-int-');
    roots.push(root);
    const { runDir } = sandbox;
    const hv = new QemuHypervisor(sandbox, { accel: 'tcg', stop_timeout_ms: 5000, ...config }, { cache: cacheDir ?? path.join(root, 'cache') });
    const exits: VmExit[] = [];
    hv.onDidExit((e) => exits.push(e));
    const spec: VmSpec = {
      sandboxId: sandbox.id, vcpus: 1, memoryMiB: 256, kernel, initrd, kernelParams: ['cella.test.hold=1'], devices: [],
      agentChannel: { kind: 'virtio-serial', socketPath: path.join(runDir, 'agent.sock'), name: 'agent.channel.0' },
      runDir, consoleLog: path.join(runDir, 'console.log'), ...over,
    };
    const vm = { hv, sandbox, journal, spec, logs, exits };
    live.push(vm);
    return vm;
  }

  async function waitForConsole(vm: Vm, pattern: RegExp, timeoutMs = 45_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await fs.readFile(vm.spec.consoleLog, 'utf8').catch(() => '');
      const m = pattern.exec(text);
      if (m) return m[0];
      if (Date.now() > deadline) assert.fail(`console never showed ${pattern}; last lines:\n${text.split('\n').slice(-10).join('\n')}`);
      await sleep(200);
    }
  }

  async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  it('starts a VM under TCG that QMP reports running, with the pid journalled, and the guest console gets the init marker', async () => {
    const vm = await makeVm();
    const info = await vm.hv.start(vm.spec);
    assert.equal(info.accel, 'tcg');
    assert.match(info.version, /^QEMU emulator version \d+\.\d+/);
    assert.deepEqual(vm.hv.pids(), [info.pid]);
    assert.ok(isAlive(info.pid));
    const entries = vm.journal.entries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.type, 'process');
    assert.equal(entries[0]!.owner, 'hypervisor.qemu');
    assert.equal(entries[0]!.data.pid, info.pid);
    assert.equal(entries[0]!.data.startTime, processStartTime(info.pid));
    // Own session: a Ctrl-C to the runtime's process group does not reach QEMU.
    const sid = (await fs.readFile(`/proc/${info.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[3];
    assert.equal(sid, String(info.pid));
    assert.equal((await vm.hv.describe()).status, 'running');
    await waitForConsole(vm, new RegExp(BOOT_MARKER));
    const caps = await vm.hv.capabilities();
    assert.deepEqual(caps, { hotplug: true, pause: true, vsock: existsSync('/dev/vhost-vsock'), sharedFs: true, accel: 'tcg', templates: false });
  });

  it('stops gracefully over QMP: no process left, journal entry completed, exit reported as expected', async () => {
    const vm = await makeVm();
    const { pid } = await vm.hv.start(vm.spec);
    await waitForConsole(vm, new RegExp(BOOT_MARKER));
    await vm.hv.stop({ force: false });
    assert.ok(!isAlive(pid));
    assert.deepEqual(vm.journal.entries(), []);
    assert.deepEqual(vm.hv.pids(), []);
    assert.deepEqual(vm.exits, [{ expected: true, code: 0, signal: null }]);
    await vm.hv.stop({ force: false });
    assert.equal(vm.exits.length, 1);
  });

  it('force-stops with SIGKILL at once', async () => {
    const vm = await makeVm();
    const { pid } = await vm.hv.start(vm.spec);
    await vm.hv.stop({ force: true });
    assert.ok(!isAlive(pid));
    assert.deepEqual(vm.exits, [{ expected: true, code: null, signal: 'SIGKILL' }]);
    assert.deepEqual(vm.journal.entries(), []);
  });

  it('reports a QEMU killed behind its back as an unexpected exit', async () => {
    const vm = await makeVm();
    const { pid } = await vm.hv.start(vm.spec);
    process.kill(pid, 'SIGKILL');
    await waitFor('onDidExit', () => vm.exits[0]);
    assert.deepEqual(vm.exits, [{ expected: false, code: null, signal: 'SIGKILL' }]);
    await waitFor('journal completion', () => (vm.journal.entries().length === 0 ? true : undefined));
    assert.deepEqual(vm.hv.pids(), []);
    assert.ok(vm.logs.some((l) => l.includes('"level":"warn"') && l.includes('exited unexpectedly')));
    await vm.hv.stop({ force: false });
    const late: VmExit[] = [];
    vm.hv.onDidExit((e) => late.push(e));
    await waitFor('late listener', () => late[0]);
  });

  it('reports a guest poweroff as an unexpected exit with code 0', async () => {
    const vm = await makeVm({}, { kernelParams: [] });
    await vm.hv.start(vm.spec);
    await waitFor('poweroff', () => vm.exits[0], 45_000);
    assert.deepEqual(vm.exits, [{ expected: false, code: 0, signal: null }]);
    assert.match(await fs.readFile(vm.spec.consoleLog, 'utf8'), new RegExp(BOOT_MARKER));
  });

  it('pauses and resumes the VM', async () => {
    const vm = await makeVm();
    await vm.hv.start(vm.spec);
    await vm.hv.pause();
    assert.equal((await vm.hv.describe()).status, 'paused');
    await vm.hv.resume();
    assert.equal((await vm.hv.describe()).status, 'running');
  });

  it('fails with E_HYPERVISOR_BINARY naming the path when the QEMU binary is missing, and records nothing', async () => {
    const vm = await makeVm({ path: '/nonexistent/qemu-system-x86_64' });
    await assert.rejects(vm.hv.start(vm.spec), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_HYPERVISOR_BINARY'), String(err));
      assert.equal(err.details.path, '/nonexistent/qemu-system-x86_64');
      return true;
    });
    assert.deepEqual(vm.journal.entries(), []);
    assert.deepEqual(vm.hv.pids(), []);
  });

  it('fails with E_HYPERVISOR_START carrying QEMU stderr when QEMU exits during start', async () => {
    const vm = await makeVm({ extra_args: ['-device', 'no-such-device-model'] });
    await assert.rejects(vm.hv.start(vm.spec), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_HYPERVISOR_START'), String(err));
      assert.match(String(err.details.stderr), /no-such-device-model/);
      assert.equal(err.details.code, 1);
      return true;
    });
    assert.deepEqual(vm.journal.entries(), []);
    assert.match(await fs.readFile(path.join(vm.spec.runDir, 'qemu.stderr.log'), 'utf8'), /no-such-device-model/);
  });

  it('hot-plugs a block disk the guest sees on PCI, then unplugs it and can plug it again', async () => {
    const vm = await makeVm();
    await vm.hv.start(vm.spec);
    await waitForConsole(vm, new RegExp(WATCH_MARKER));
    const image = path.join(vm.spec.runDir, 'disk,1.raw');
    execFileSync('truncate', ['-s', '8M', image]);
    const disk = { kind: 'block', id: 'hp1', path: image, readOnly: true, format: 'raw', driver: 'virtio-blk', serial: 'hp-serial' } as const;
    await vm.hv.hotplug(disk);
    const added = await waitForConsole(vm, /PCI-ADDED (\S+) 0x1af4 0x10(01|42)/);
    const bdf = added.split(' ')[1]!;
    await assert.rejects(vm.hv.hotplug(disk), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_SPEC'));
    await vm.hv.unplug('hp1');
    await waitForConsole(vm, new RegExp(`PCI-REMOVED ${bdf.replace(/\./g, '\\.')}`));
    await vm.hv.hotplug(disk);
    await assert.rejects(vm.hv.unplug('nope'), (err: unknown) => isCellaError(err, 'E_HYPERVISOR_DEVICE_NOT_FOUND'));
  });

  it('probes KVM by booting the guest, answers TCG on a host where KVM cannot boot it, caches the verdict, and start() warns once', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-qemu-probe-'));
    roots.push(cacheDir);
    const cacheFile = accelCacheFile(cacheDir);
    const logs: string[] = [];
    const opts = { qemu: '/usr/bin/qemu-system-x86_64', kernel, initrd, timeoutMs: 4000, cacheFile, logger: new JsonLogger((l) => logs.push(l), 'debug') };
    const expectTcg = (await kvmDeviceProblem()) !== undefined || (await isPvmHost());
    const first = await probeAccel(opts);
    assert.equal(first.cached, false);
    if (expectTcg) assert.equal(first.accel, 'tcg', first.reason);
    assert.ok(first.reason.length > 0);
    assert.deepEqual(processesWith('accel=kvm', initrd), [], 'the probe left QEMU running');
    if ((await kvmDeviceProblem()) === undefined) {
      const cache = JSON.parse(await fs.readFile(cacheFile, 'utf8')) as { entries: Record<string, { accel: string }> };
      assert.deepEqual(Object.values(cache.entries).map((e) => e.accel), [first.accel]);
      const t0 = Date.now();
      assert.deepEqual(await probeAccel(opts), { ...first, cached: true });
      assert.ok(Date.now() - t0 < 1000, 'the cached verdict took a boot');
    }
    const vm = await makeVm({ accel: 'auto' }, {}, cacheDir);
    assert.equal((await vm.hv.capabilities()).accel, first.accel, 'capabilities() before start should report the cached verdict');
    const info = await vm.hv.start(vm.spec);
    assert.equal(info.accel, first.accel);
    if (first.accel === 'tcg') {
      const warns = vm.logs.filter((l) => l.includes('"level":"warn"'));
      assert.equal(warns.length, 1);
      assert.match(warns[0]!, /KVM is not usable here; using TCG \(slower\)/);
      assert.equal((JSON.parse(warns[0]!) as { reason: string }).reason, first.reason);
    }
  });
});
