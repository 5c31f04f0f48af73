// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostCheckResult } from '@cella/core';
import { QemuHostChecks } from './host-checks';
import { accelCacheFile } from './kvm-probe';
import { kvmDeviceProblem, qemuVersion, resolveQemuBinary } from './qemu-binary';

describe('QemuHostChecks', () => {
  let cache: string;
  beforeEach(async () => { cache = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-hostcheck-')); });
  afterEach(async () => { await fs.rm(cache, { recursive: true, force: true }); });

  const line = (lines: HostCheckResult[], name: string): HostCheckResult => {
    const found = lines.find((l) => l.name === name);
    assert.ok(found, `no ${name} line`);
    return found;
  };

  it('reports the QEMU version when the binary is there, and fails naming the path when it is not', async function () {
    const binary = await resolveQemuBinary('qemu-system-x86_64').catch(() => undefined);
    if (!binary) this.skip();
    const ok = line(await new QemuHostChecks({}, { cache }).run(), 'QEMU');
    assert.equal(ok.status, 'pass');
    assert.ok(ok.detail.includes(await qemuVersion(binary)));
    const missing = line(await new QemuHostChecks({ path: '/nope/qemu' }, { cache }).run(), 'QEMU');
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /\/nope\/qemu/);
  });

  it('reports QEMU\'s posture: seccomp on and an unprivileged user by default, warnings when either is turned off', async () => {
    const lines = await new QemuHostChecks({ user: 'cella-no-such-user' }, { cache }).run();
    assert.deepEqual(line(lines, 'QEMU seccomp'), { name: 'QEMU seccomp', status: 'pass', detail: 'on: -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny' });
    const user = line(lines, 'QEMU user');
    assert.equal(user.status, 'warn');
    assert.match(user.detail, /^cella-no-such-user \(not made yet.*no capabilities/);
    const root = line(await new QemuHostChecks({ user: 'root' }, { cache }).run(), 'QEMU user');
    assert.equal(root.status, 'fail');
    const off = await new QemuHostChecks({ rootless: false, seccomp_sandbox: false }, { cache }).run();
    assert.equal(line(off, 'QEMU seccomp').status, 'warn');
    assert.match(line(off, 'QEMU user').detail, /^root with every capability \(rootless = false\)/);
  });

  it('reports the host devices QEMU uses, warning for vhost ones and failing without /dev/net/tun', async () => {
    const lines = await new QemuHostChecks({}, { cache }).run();
    const expect = (name: string, missingStatus: string, missingText: RegExp): void => {
      const l = line(lines, name);
      if (existsSync(name)) assert.equal(l.status, 'pass');
      else {
        assert.equal(l.status, missingStatus);
        assert.match(l.detail, missingText);
      }
    };
    expect('/dev/vhost-vsock', 'warn', /agent uses virtio-serial/);
    expect('/dev/vhost-net', 'warn', /without vhost/);
    expect('/dev/net/tun', 'fail', /missing/);
  });

  it('reports a cached TCG verdict as a TCG fallback with its reason', async function () {
    if (await kvmDeviceProblem()) this.skip();
    const binary = await resolveQemuBinary('qemu-system-x86_64').catch(() => undefined);
    if (!binary) this.skip();
    const key = JSON.stringify({ host: os.release(), qemu: await qemuVersion(binary), kernel: { size: 1, mtimeMs: 1 } });
    await fs.mkdir(path.dirname(accelCacheFile(cache)), { recursive: true });
    await fs.writeFile(accelCacheFile(cache), JSON.stringify({ version: 1, entries: { [key]: { accel: 'tcg', reason: 'the test says so', probedAt: new Date().toISOString() } } }));
    const kvm = line(await new QemuHostChecks({}, { cache }).run(), 'KVM');
    assert.equal(kvm.status, 'warn');
    assert.equal(kvm.detail, 'TCG fallback: the test says so');
  });

  it('reports a configured TCG as a fallback without probing', async () => {
    const kvm = line(await new QemuHostChecks({ accel: 'tcg' }, { cache }).run(), 'KVM');
    assert.equal(kvm.status, 'warn');
    assert.match(kvm.detail, /accel = "tcg"/);
  });
});
