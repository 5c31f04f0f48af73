// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, cella, HELLO, makeBundle, tempDir } from '../helpers/cella';
import { runWatchingForVm } from '../helpers/no-vm';

/** An ext4 image file made from a folder with `mkfs.ext4 -d` (no loop mount). */
async function ext4Image(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const src = join(dir, `${name}-src`);
  await fs.mkdir(src);
  for (const [file, content] of Object.entries(files)) await fs.writeFile(join(src, file), content);
  const image = join(dir, `${name}.img`);
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, image]);
  return image;
}

/** A file of an ext4 image read on the host with debugfs (no mount); undefined when it is not there. */
function debugfsCat(image: string, file: string): string | undefined {
  const out = execFileSync('debugfs', ['-R', `cat ${file}`, image], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  return out === '' ? undefined : out;
}

/** The block storage plugin (the default rootfs storage) through `cella run` with a real VM. */
describe('block storage: rootfs and volumes as disks (real VM)', function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('blk'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function config(driver: string): Promise<string> {
    const file = join(dir, `${driver}.toml`);
    await fs.writeFile(file, `version = 1\n[plugins."storage.block"]\nblock_device_driver = "${driver}"\n`);
    return file;
  }

  for (const [driver, disk] of [['virtio-scsi', /^\/dev\/sd[a-z]+$/], ['virtio-blk', /^\/dev\/vd[a-z]+$/]] as const) {
    it(`runs a container whose rootfs is a ${driver} disk`, async () => {
      const bundle = await makeBundle(['sh', '-c', 'grep " / " /proc/mounts; ls /sys/block']);
      const r = await cella(['run', '--config', await config(driver), '--root', root, '--bundle', bundle, `root-${driver}`]);
      assert.equal(r.code, 0, r.stderr);
      const [source, target, type] = r.stdout.split('\n')[0]!.split(' ');
      assert.match(source!, disk, r.stdout);
      assert.equal(target, '/');
      assert.equal(type, 'ext4');
    });
  }

  for (const driver of ['virtio-blk', 'virtio-scsi']) {
    it(`mounts ext4 image volumes (${driver}): the container reads and writes, ro refuses, the write persists in the image`, async () => {
      const rw = await ext4Image(dir, 'rw', { 'hello.txt': 'from the host\n' });
      const ro = await ext4Image(dir, 'ro', { 'keep.txt': 'read-only\n' });
      const script = 'cat /root/hello.txt; echo written in the guest > /root/newfile; cat /var/keep.txt; '
        + '{ echo x > /var/nope && echo RO-WRITABLE; } 2>&1; grep -E " /(root|var) " /proc/mounts';
      const bundle = await makeBundle(['sh', '-c', script], (s) => {
        (s.mounts as unknown[]).push(
          { destination: '/root', type: 'ext4', source: rw, options: ['rw', 'noatime'] },
          { destination: '/var', type: 'ext4', source: ro, options: ['ro'] },
        );
      });
      const r = await cella(['run', '--config', await config(driver), '--root', root, '--bundle', bundle, `vol-${driver}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^from the host$/m);
      assert.match(r.stdout, /^read-only$/m);
      assert.doesNotMatch(r.stdout, /RO-WRITABLE/);
      assert.match(r.stdout, /Read-only file system/);
      assert.match(r.stdout, /^\S+ \/root ext4 rw,noatime/m);
      assert.match(r.stdout, /^\S+ \/var ext4 ro[, ]/m);
      assert.equal(debugfsCat(rw, '/newfile'), 'written in the guest\n');
      assert.equal(debugfsCat(ro, '/nope'), undefined);
    });
  }

  it('refuses an unknown block_device_driver, naming the key, before creating anything', async () => {
    const bundle = await makeBundle(['true']);
    const r = await cella(['run', '--config', await config('virtio-nvme'), '--root', root, '--bundle', bundle, 'baddrv']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plugins\."storage\.block"\.block_device_driver: must be one of "virtio-blk", "virtio-scsi" \(got "virtio-nvme"\)/);
  });

  it('names a volume image that does not exist, and leaves nothing behind', async () => {
    const missing = join(dir, 'missing.img');
    const bundle = await makeBundle(['true'], (s) => {
      (s.mounts as unknown[]).push({ destination: '/root', type: 'ext4', source: missing, options: ['rw'] });
    });
    const r = await cella(['run', '--config', await config('virtio-blk'), '--root', root, '--bundle', bundle, 'novol']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.match(r.stderr, /E_STORAGE_MOUNT_SOURCE/);
  });

  describe('a rootfs block device handed over by annotation (as a devicemapper snapshotter would)', () => {
    let loop: string | undefined;
    let image: string;
    let mnt: string | undefined;
    beforeEach(async () => {
      image = join(dir, 'rootfs.img');
      execFileSync('truncate', ['-s', '64M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', join(HELLO, 'rootfs'), image]);
      loop = execFileSync('losetup', ['--find', '--show', image]).toString().trim();
    });
    afterEach(() => {
      if (mnt) execFileSync('umount', [mnt]);
      mnt = undefined;
      if (loop) execFileSync('losetup', ['-d', loop]);
      loop = undefined;
    });
    const annotated = (device: string, args: string[]): Promise<string> => makeBundle(args, (s) => {
      s.annotations = { 'io.cella.storage.rootfs.device': device, 'io.cella.storage.rootfs.fstype': 'ext4' };
      (s.root as { readonly?: boolean }).readonly = false;
    });

    it('runs the container from the device; what it writes stays on the device', async () => {
      const bundle = await annotated(loop!, ['sh', '-c', 'grep " / " /proc/mounts; echo kept on the device > /written']);
      const r = await cella(['run', '--config', await config('virtio-blk'), '--root', root, '--bundle', bundle, 'dev1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\/dev\/vd[a-z]+ \/ ext4 rw/m, r.stdout);
      execFileSync('losetup', ['-d', loop!]);
      loop = undefined;
      assert.equal(debugfsCat(image, '/written'), 'kept on the device\n');
      assert.ok(!(await fs.readdir(dir)).some((f) => f.startsWith('rootfs-')), 'no rootfs image was made');
    });

    it('refuses a device mounted on the host, and a path that is not a block device, naming the annotation', async () => {
      mnt = join(dir, 'mnt');
      await fs.mkdir(mnt);
      execFileSync('mount', ['-o', 'ro', loop!, mnt]);
      const mounted = await cella(['run', '--root', root, '--bundle', await annotated(loop!, ['true']), 'dev2']);
      assert.equal(mounted.code, 1);
      assert.match(mounted.stderr, /mounted on the host/);
      assert.ok(mounted.stderr.includes('io.cella.storage.rootfs.device'), mounted.stderr);
      const notDevice = await cella(['run', '--root', root, '--bundle', await annotated(image, ['true']), 'dev3']);
      assert.equal(notDevice.code, 1);
      assert.match(notDevice.stderr, /not a block device/);
      assert.ok(notDevice.stderr.includes(image), notDevice.stderr);
    });

    it('refuses a volume whose source is a block device mounted on the host, naming mounts[i].source, before any VM', async () => {
      mnt = join(dir, 'mnt');
      await fs.mkdir(mnt);
      execFileSync('mount', ['-o', 'ro', loop!, mnt]);
      const bundle = await makeBundle(['true'], (s) => {
        const mounts = s.mounts as Array<Record<string, unknown>>;
        mounts.push({ destination: '/data', type: 'ext4', source: loop!, options: ['rw'] });
      });
      const index = (JSON.parse(await fs.readFile(join(bundle, 'config.json'), 'utf8')) as { mounts: unknown[] }).mounts.length - 1;
      const r = await runWatchingForVm(root, ['run', '--root', root, '--bundle', bundle, 'vol1']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /is mounted on the host/);
      assert.ok(r.stderr.includes(`mounts[${index}].source`), r.stderr);
      assert.deepEqual(r.qemu, [], 'no VM started');
      // The host's filesystem is untouched: it is still mounted, read-only, from the same device.
      assert.match(execFileSync('findmnt', ['-n', '-o', 'SOURCE,OPTIONS', mnt]).toString(), new RegExp(`^${loop} ro,`));
    });
  });
});
