// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullLogger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import type { CommandRunner } from './command-runner';
import { StorageMounter } from './storage-mounter';

describe('StorageMounter (fake: no VM, mount commands recorded)', () => {
  let dir: string;
  let calls: string[][];
  let mounter: StorageMounter;
  const run: CommandRunner = async (file, args) => { calls.push([file, ...args]); return { stdout: '', stderr: '' }; };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cella-mount-'));
    calls = [];
    mkdirSync(join(dir, 'sys', 'vda'), { recursive: true });
    writeFileSync(join(dir, 'sys', 'vda', 'serial'), 'cella-guest-root\n');
    mounter = new StorageMounter({ run, logger: nullLogger, sysBlockDir: join(dir, 'sys'), devDir: '/dev', diskWaitMs: 2000 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('mounts a blk storage found by serial after it hot-plugs, with its fstype and options', async () => {
    const mp = join(dir, 'mnt', 'rootfs');
    setTimeout(() => { mkdirSync(join(dir, 'sys', 'vdb')); writeFileSync(join(dir, 'sys', 'vdb', 'serial'), 'rootfs-c1'); }, 300);
    await mounter.mountAll([{ driver: 'blk', source: 'rootfs-c1', fstype: 'ext4', options: ['ro', 'noatime'], mountPoint: mp }]);
    assert.deepEqual(calls, [['mount', '-t', 'ext4', '-o', 'ro,noatime', '/dev/vdb', mp]]);
  });

  it('loads the SCSI modules once for scsi storages, finds the disk by its VPD serial, and lets fstype auto probe', async () => {
    mkdirSync(join(dir, 'sys', 'sda', 'device'), { recursive: true });
    // VPD page 0x80: header (device type, page code, 2-byte length), then the serial.
    const serial = Buffer.from('vol-serial-1');
    writeFileSync(join(dir, 'sys', 'sda', 'device', 'vpd_pg80'), Buffer.concat([Buffer.from([0, 0x80, 0, serial.length]), serial]));
    mkdirSync(join(dir, 'sys', 'sdb', 'device'), { recursive: true });
    writeFileSync(join(dir, 'sys', 'sdb', 'device', 'vpd_pg80'), Buffer.concat([Buffer.from([0, 0x80, 0, 5]), Buffer.from('rootf')]));
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await mounter.mountAll([
      { driver: 'scsi', source: 'vol-serial-1', fstype: 'auto', options: ['ro'], mountPoint: a },
      { driver: 'scsi', source: 'rootf', fstype: 'ext4', options: [], mountPoint: b },
    ]);
    assert.deepEqual(calls, [
      ['modprobe', 'virtio_scsi'], ['modprobe', 'sd_mod'], ['mount', '-o', 'ro', '/dev/sda', a], ['mount', '-t', 'ext4', '/dev/sdb', b],
    ]);
  });

  it('mounts virtio-fs by tag and tmpfs, and unmounts in reverse order', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const done = await mounter.mountAll([
      { driver: 'virtio-fs', source: 'share0', fstype: 'virtiofs', options: [], mountPoint: a },
      { driver: 'tmpfs', source: '', fstype: 'tmpfs', options: ['size=10m'], mountPoint: b },
    ]);
    await mounter.unmountAll(done);
    assert.deepEqual(calls, [['mount', '-t', 'virtiofs', 'share0', a], ['mount', '-t', 'tmpfs', '-o', 'size=10m', 'tmpfs', b], ['umount', b], ['umount', a]]);
  });

  it('fails with E_AGENT_DISK_NOT_FOUND when no disk carries the serial, and rolls back earlier mounts', async () => {
    mounter = new StorageMounter({ run, logger: nullLogger, sysBlockDir: join(dir, 'sys'), devDir: '/dev', diskWaitMs: 200 });
    const a = join(dir, 'a');
    await assert.rejects(mounter.mountAll([
      { driver: 'tmpfs', source: '', fstype: 'tmpfs', options: [], mountPoint: a },
      { driver: 'blk', source: 'missing', fstype: 'ext4', options: [], mountPoint: join(dir, 'b') },
    ]), (e: unknown) => isCellaError(e, 'E_AGENT_DISK_NOT_FOUND'));
    assert.deepEqual(calls.at(-1), ['umount', a]);
    assert.deepEqual(mounter.mountPoints(), []);
  });

  it('refuses unknown drivers, relative mount points and option injection', async () => {
    const cases = [
      [{ driver: '9p', source: 'x', fstype: '9p', options: [], mountPoint: join(dir, 'x') }, 'E_AGENT_STORAGE_UNSUPPORTED'],
      [{ driver: 'tmpfs', source: '', fstype: 'tmpfs', options: [], mountPoint: 'rel' }, 'E_AGENT_INVALID_ARGUMENT'],
      [{ driver: 'tmpfs', source: '', fstype: 'tmpfs', options: ['size=1,exec'], mountPoint: join(dir, 'y') }, 'E_AGENT_INVALID_ARGUMENT'],
    ] as const;
    for (const [s, code] of cases) await assert.rejects(mounter.mountAll([{ ...s, options: [...s.options] }]), (e: unknown) => isCellaError(e, code));
    assert.deepEqual(calls, []);
  });

  it('shares a mount point asked for twice by the same storage and unmounts it after the last user', async () => {
    const s = { driver: 'virtio-fs', source: 'tag', fstype: '', options: [], mountPoint: join(dir, 'm') };
    await mounter.mountAll([s]);
    await mounter.mountAll([s]);
    await mounter.unmountAll([s.mountPoint]);
    assert.equal(calls.filter((c) => c[0] === 'umount').length, 0);
    await mounter.unmountAll([s.mountPoint]);
    assert.equal(calls.filter((c) => c[0] === 'mount').length, 1);
    assert.equal(calls.filter((c) => c[0] === 'umount').length, 1);
  });

  it('waits for a virtio-fs tag that shows up after the guest resumed (hot-plugged), loading virtiofs first; then gives up', async () => {
    let fails = 3;
    const flaky: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      if (file === 'mount' && fails-- > 0) throw new Error('mount: mounting tag on m failed: No such file or directory');
      return { stdout: '', stderr: '' };
    };
    const m = new StorageMounter({ run: flaky, logger: nullLogger, sysBlockDir: join(dir, 'sys'), devDir: '/dev', diskWaitMs: 2000 });
    const s = { driver: 'virtio-fs', source: 'tag', fstype: 'virtiofs', options: [], mountPoint: join(dir, 'm') };
    await m.mountAll([s]);
    assert.deepEqual(calls.map((c) => c[0]), ['mount', 'modprobe', 'mount', 'mount', 'mount']);
    fails = Infinity;
    calls = [];
    const quick = new StorageMounter({ run: flaky, logger: nullLogger, sysBlockDir: join(dir, 'sys'), devDir: '/dev', diskWaitMs: 200 });
    const t = Date.now();
    await assert.rejects(quick.mountAll([{ ...s, mountPoint: join(dir, 'n') }]));
    assert.ok(Date.now() - t >= 200 && Date.now() - t < 2000, `gave up after ${Date.now() - t} ms`);
  });
});
