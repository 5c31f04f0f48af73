// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, nullLogger, type SandboxContext } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import type { BlockConfig } from './block-config';
import { BlockStorageDriver, diskSerial, GUEST_CONTAINERS_DIR } from './block-storage-driver';

describe('BlockStorageDriver (real mkfs.ext4, no VM)', () => {
  let dir: string;
  let sandbox: SandboxContext;
  let journal: FileJournal;
  const config = (driver: BlockConfig['block_device_driver']): BlockConfig => ({ block_device_driver: driver, mkfs_path: 'mkfs.ext4', extra_space_mib: 1 });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cella-blkdrv-'));
    mkdirSync(join(dir, 'state'));
    mkdirSync(join(dir, 'run'));
    mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', 'etc', 'marker'), 'rootfs\n');
    writeFileSync(join(dir, 'vol.img'), '');
    journal = await FileJournal.open(join(dir, 'state'));
    sandbox = { id: 'sb1', stateDir: join(dir, 'state'), runDir: join(dir, 'run'), journal, logger: nullLogger, vcpus: 1, memoryMiB: 256 };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const driver of ['virtio-blk', 'virtio-scsi'] as const) {
    it(`attaches the rootfs image and an image volume as ${driver} disks the guest finds by serial`, async () => {
      const d = new BlockStorageDriver(sandbox, config(driver));
      const res = await d.prepare({
        containerId: 'c1', rootfs: { path: join(dir, 'rootfs'), readonly: false },
        mounts: [
          { destination: '/proc', type: 'proc', source: 'proc' },
          { destination: '/data', type: 'ext4', source: join(dir, 'vol.img'), options: ['rbind', 'ro', 'noexec'] },
        ],
      });
      const image = join(dir, 'run', 'rootfs-c1.img');
      const rootSerial = diskSerial('sb1', 'c1');
      const volSerial = diskSerial('sb1', 'c1', 1);
      assert.notEqual(rootSerial, volSerial);
      assert.deepEqual(res.devices, [
        { kind: 'block', id: `rootfs-${rootSerial}`, path: image, readOnly: false, format: 'raw', driver, serial: rootSerial },
        { kind: 'block', id: `vol-${volSerial}`, path: join(dir, 'vol.img'), readOnly: true, format: 'raw', driver, serial: volSerial },
      ]);
      const guestDriver = driver === 'virtio-scsi' ? 'scsi' : 'blk';
      assert.deepEqual(res.storages, [
        { driver: guestDriver, source: rootSerial, fstype: 'ext4', options: [], mountPoint: `${GUEST_CONTAINERS_DIR}/c1/rootfs` },
        { driver: guestDriver, source: volSerial, fstype: 'ext4', options: ['ro', 'noexec'], mountPoint: `${GUEST_CONTAINERS_DIR}/c1/volumes/1` },
      ]);
      assert.deepEqual(res.guestMounts[1], { destination: '/data', type: 'bind', source: `${GUEST_CONTAINERS_DIR}/c1/volumes/1`, options: ['rbind', 'ro'] });
      assert.equal(res.guestMounts[0]!.type, 'proc');
      assert.match(execFileSync('debugfs', ['-R', 'cat /etc/marker', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(), /^rootfs$/m);
      assert.equal(journal.entries().length, 1, 'only the rootfs image is journalled: the volume is the user\'s');

      await d.release('c1');
      assert.ok(!existsSync(image));
      assert.ok(existsSync(join(dir, 'vol.img')), 'the volume source stays');
      assert.deepEqual(journal.entries(), []);
    });
  }

  it('serving the volumes role only, attaches the volumes and makes no rootfs image', async () => {
    const d = new BlockStorageDriver(sandbox, config('virtio-blk'));
    const res = await d.prepare({ containerId: 'c1', mounts: [{ destination: '/data', type: 'ext4', source: join(dir, 'vol.img') }] });
    assert.equal(res.guestRootPath, undefined);
    assert.deepEqual(res.devices.map((x) => x.kind === 'block' && x.path), [join(dir, 'vol.img')]);
    assert.equal(res.storages.length, 1);
    assert.ok(!existsSync(join(dir, 'run', 'rootfs-c1.img')));
    assert.deepEqual(journal.entries(), []);
    await assert.rejects(d.prepare({ containerId: 'c1', mounts: [] }), (err: unknown) => isCellaError(err, 'E_STORAGE_INVALID_ARGUMENT'));
    await d.release('c1');
    await d.prepare({ containerId: 'c1', mounts: [] });
  });

  it('refuses a host folder bind and a volume named twice, and makes nothing', async () => {
    const d = new BlockStorageDriver(sandbox, config('virtio-blk'));
    const base = { containerId: 'c1', rootfs: { path: join(dir, 'rootfs'), readonly: true } };
    await assert.rejects(d.prepare({ ...base, mounts: [{ destination: '/x', type: 'bind', source: dir, options: ['rbind'] }] }),
      (err: unknown) => isCellaError(err, 'E_STORAGE_UNSUPPORTED_MOUNT') && err.details?.field === 'mounts[0]');
    const vol = { type: 'ext4', source: join(dir, 'vol.img') };
    await assert.rejects(d.prepare({ ...base, mounts: [{ destination: '/a', ...vol }, { destination: '/b', ...vol }] }), (err: unknown) =>
      isCellaError(err, 'E_STORAGE_INVALID_ARGUMENT') && JSON.stringify(err.details?.fields) === '["mounts[0]","mounts[1]"]');
    await assert.rejects(d.prepare({ ...base, mounts: [{ destination: '/a', type: 'ext4', source: join(dir, 'nope.img') }] }),
      (err: unknown) => isCellaError(err, 'E_STORAGE_MOUNT_SOURCE') && err.details?.source === join(dir, 'nope.img'));
    assert.deepEqual(journal.entries(), []);
    assert.ok(!existsSync(join(dir, 'run', 'rootfs-c1.img')));
  });

  it('undoes the journal entry when mkfs fails', async () => {
    const d = new BlockStorageDriver(sandbox, { ...config('virtio-blk'), mkfs_path: join(dir, 'no-mkfs') });
    await assert.rejects(d.prepare({ containerId: 'c1', rootfs: { path: join(dir, 'rootfs'), readonly: false }, mounts: [] }),
      (err: unknown) => isCellaError(err, 'E_STORAGE_IMAGE'));
    assert.deepEqual(journal.entries(), []);
    assert.ok(!existsSync(join(dir, 'run', 'rootfs-c1.img')));
  });
});
