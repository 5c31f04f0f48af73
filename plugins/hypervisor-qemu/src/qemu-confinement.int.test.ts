// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, type VmSpec } from '@cella/core';
import { makeTestSandbox } from '@cella/core/testkit';
import type { QemuConfig } from './qemu-config';
import { QemuHypervisor } from './qemu-hypervisor';
import { buildTestInitramfs } from './test-support/test-initramfs';
import { findTestKernel } from './test-support/test-kernel';

/** The lines of /proc/<pid>/status a user checks for a confined process. */
function posture(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const [key, value] = line.split(':\t');
    if (key && value !== undefined && /^(Uid|Gid|Groups|Cap\w+|NoNewPrivs|Seccomp)$/.test(key)) out[key] = value.trim();
  }
  return out;
}

describe('QEMU confinement (real QEMU, TCG)', function () {
  this.timeout(90_000);
  let kernel: string;
  let initrd: string;
  let shared: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async function () {
    const found = await findTestKernel();
    if ('skip' in found) this.skip();
    kernel = (found as { path: string }).path;
    shared = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-confine-int-'));
    initrd = await buildTestInitramfs(shared);
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  after(async () => {
    if (shared) await fs.rm(shared, { recursive: true, force: true });
  });

  async function startVm(config: Partial<QemuConfig>, kernelParams: string[]): Promise<{ hv: QemuHypervisor; pid: number; spec: VmSpec }> {
    const { root, sandbox } = await makeTestSandbox('cella-confine-int-');
    cleanups.push(() => fs.rm(root, { recursive: true, force: true }));
    const hv = new QemuHypervisor(sandbox, { accel: 'tcg', ...config }, { cache: path.join(root, 'cache') });
    const spec: VmSpec = {
      sandboxId: sandbox.id, vcpus: 1, memoryMiB: 256, kernel, initrd, kernelParams, devices: [],
      agentChannel: { kind: 'virtio-serial', socketPath: path.join(sandbox.runDir, 'agent.sock'), name: 'agent.channel.0' },
      runDir: sandbox.runDir, consoleLog: path.join(sandbox.runDir, 'console.log'),
    };
    cleanups.push(() => hv.stop({ force: true }));
    const { pid } = await hv.start(spec);
    return { hv, pid, spec };
  }

  it('runs QEMU by default as an unprivileged user with no capabilities, no_new_privs and its seccomp filter', async () => {
    const { pid } = await startVm({}, ['cella.test.hold=1']);
    const p = posture(pid);
    const uids = p.Uid!.split(/\s+/);
    assert.equal(new Set(uids).size, 1, `real, effective, saved and fs uid differ: ${p.Uid}`);
    assert.notEqual(uids[0], '0');
    assert.equal(p.Groups, '');
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(p[cap], '0000000000000000', `${cap} of QEMU`);
    assert.equal(p.NoNewPrivs, '1');
    assert.equal(p.Seccomp, '2');
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === uids[0]);
    assert.equal(passwd?.split(':')[0], 'cella-vmm');
  });

  it('runs QEMU as root without a filter only when rootless and seccomp_sandbox are turned off', async () => {
    const { pid } = await startVm({ rootless: false, seccomp_sandbox: false }, ['cella.test.hold=1']);
    const p = posture(pid);
    assert.equal(p.Uid!.split(/\s+/)[0], '0');
    assert.equal(p.Seccomp, '0');
  });

  it('QEMU dies within 2 s when the process that started it is killed with SIGKILL', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-confine-orphan-'));
    cleanups.push(() => fs.rm(root, { recursive: true, force: true }));
    const starter = spawn(process.execPath, [path.join(__dirname, 'test-support', 'start-vm-and-wait.js'), JSON.stringify({ root, kernel, initrd })], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => { if (starter.exitCode === null) starter.kill('SIGKILL'); });
    let out = '';
    starter.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    let err = '';
    starter.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n')) {
      if (starter.exitCode !== null || Date.now() > deadline) assert.fail(`the starter did not start a VM: ${err}`);
      await sleep(50);
    }
    const qemu = (JSON.parse(out) as { pid: number }).pid;
    cleanups.push(async () => { if (isAlive(qemu)) process.kill(qemu, 'SIGKILL'); });
    assert.ok(isAlive(qemu));
    starter.kill('SIGKILL');
    const killedAt = Date.now();
    // Dead means gone or a zombie waiting for init to reap it.
    const running = (): boolean => isAlive(qemu) && !/^State:\s+Z/m.test(readFileSync(`/proc/${qemu}/status`, 'utf8'));
    while (running() && Date.now() - killedAt < 2000) await sleep(50);
    assert.ok(!running(), `QEMU ${qemu} still runs 2 s after its starter was killed`);
  });

  it('keeps console.log within console_log_max_bytes while the guest floods its console, ending with its newest lines', async () => {
    const limit = 64 * 1024;
    const { spec } = await startVm({ console_log_max_bytes: limit }, ['cella.test.flood=1']);
    let max = 0;
    let lastSeen = 0;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const size = (await fs.stat(spec.consoleLog)).size;
      max = Math.max(max, size);
      const m = /CELLA-FLOOD (\d+) \.+\n?$/.exec(await fs.readFile(spec.consoleLog, 'utf8'));
      if (m) lastSeen = Number(m[1]);
      await sleep(100);
    }
    assert.ok(max <= limit, `console.log reached ${max} bytes (limit ${limit})`);
    // The guest wrote well past the limit (each line is ~90 bytes), and the file still ends with what came last.
    assert.ok(lastSeen * 90 > 2 * limit, `the guest wrote only ${lastSeen} lines`);
    const text = await fs.readFile(spec.consoleLog, 'utf8');
    assert.match(text, /^…\(older output dropped: log limit of 65536 bytes\)/);
  });
});
