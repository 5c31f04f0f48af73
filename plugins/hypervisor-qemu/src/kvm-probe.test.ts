// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nullLogger } from '@cella/core';
import { cachedAccel, probeAccel, type ProbeOptions } from './kvm-probe';
import { kvmDeviceProblem } from './qemu-binary';

/** A stand-in QEMU: answers -version, and runs `body` for a boot. */
async function fakeQemu(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\nif [ "$1" = "-version" ]; then echo "QEMU emulator version 99.0.0 (fake ${name})"; exit 0; fi\n${body}\n`, { mode: 0o755 });
  return file;
}

/** A hanging body with a command line no other process has: `sleep 60.<random>`. */
function hang(): { body: string; marker: string } {
  const marker = `60.${Math.floor(Math.random() * 1e9)}`;
  return { body: `exec sleep ${marker}`, marker };
}

function running(needle: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  }).map(Number);
}

describe('probeAccel', () => {
  let dir: string;
  let base: Omit<ProbeOptions, 'qemu'>;

  beforeEach(async function () {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-probe-test-'));
    await fs.writeFile(path.join(dir, 'vmlinuz'), 'not really a kernel');
    base = { kernel: path.join(dir, 'vmlinuz'), timeoutMs: 1500, cacheFile: path.join(dir, 'cache', 'accel.json'), logger: nullLogger };
    // Past the /dev/kvm check only where the device opens.
    if (await kvmDeviceProblem()) this.skip();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('kills a test boot that does not finish in time and answers TCG (fake: a QEMU that hangs)', async () => {
    const { body, marker } = hang();
    const qemu = await fakeQemu(dir, 'hangs', body);
    const t0 = Date.now();
    const probing = probeAccel({ ...base, qemu });
    while (running(marker).length === 0 && Date.now() - t0 < 1400) await sleep(20);
    assert.equal(running(marker).length, 1, 'the hanging boot never ran');
    const verdict = await probing;
    assert.equal(verdict.accel, 'tcg');
    assert.match(verdict.reason, /did not finish within 1500 ms/);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(running(marker), []);
  });

  it('leaves no probe QEMU behind when the probing process dies mid-boot (fake: a QEMU that hangs)', async function () {
    if (!existsSync('/usr/bin/setpriv')) this.skip();
    const { body, marker } = hang();
    const qemu = await fakeQemu(dir, 'orphan', body);
    const script = `require(${JSON.stringify(path.join(__dirname, 'kvm-probe.js'))}).probeAccel(${JSON.stringify({ ...base, logger: undefined, qemu, timeoutMs: 60_000 })
      .replace(/}$/, ', logger: require("@cella/core").nullLogger}')})`;
    const node = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (running(marker).length === 0 && Date.now() < deadline) await sleep(50);
    assert.equal(running(marker).length, 1, 'the probe never started');
    node.kill('SIGKILL');
    while (running(marker).length > 0 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(running(marker), []);
  });

  it('answers KVM only when the boot exits 0 after the guest printed CELLA-POWEROFF (fake: a QEMU whose guest powers off)', async () => {
    const good = await fakeQemu(dir, 'good', 'case "$*" in *cella.poweroff=1*) echo CELLA-POWEROFF; exit 0;; esac; exit 3');
    const verdict = await probeAccel({ ...base, qemu: good });
    assert.equal(verdict.accel, 'kvm', verdict.reason);
    const silent = await fakeQemu(dir, 'silent', 'exit 0');
    assert.match((await probeAccel({ ...base, qemu: silent })).reason, /without the guest printing CELLA-POWEROFF/);
    const fails = await fakeQemu(dir, 'fails', 'echo "kvm: no way" >&2; exit 1');
    const failed = await probeAccel({ ...base, qemu: fails });
    assert.equal(failed.accel, 'tcg');
    assert.match(failed.reason, /exited with code 1 .*kvm: no way/);
  });

  it('caches the verdict per QEMU version and guest kernel, and probes again when the kernel changes (fake: a QEMU whose guest powers off)', async () => {
    const counter = path.join(dir, 'boots');
    const qemu = await fakeQemu(dir, 'counting', `echo boot >> ${counter}; echo CELLA-POWEROFF; exit 0`);
    assert.equal((await probeAccel({ ...base, qemu })).cached, false);
    const again = await probeAccel({ ...base, qemu });
    assert.equal(again.cached, true);
    assert.equal(again.accel, 'kvm');
    assert.deepEqual(await cachedAccel(base.cacheFile, 'QEMU emulator version 99.0.0 (fake counting)'), { accel: 'kvm', reason: again.reason });
    await fs.appendFile(base.kernel, 'a new build');
    assert.equal((await probeAccel({ ...base, qemu })).cached, false);
    assert.equal((await fs.readFile(counter, 'utf8')).trim().split('\n').length, 2);
  });

  it('fails with E_HYPERVISOR_BINARY when QEMU cannot be run at all', async () => {
    await assert.rejects(probeAccel({ ...base, qemu: path.join(dir, 'missing-qemu') }), (err: Error & { code?: string }) => err.code === 'E_HYPERVISOR_BINARY');
  });
});
