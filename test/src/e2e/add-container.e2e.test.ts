// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readBundle } from '@cella/core';
import { makeBundle, processesMentioning } from '../helpers/cella';
import { processOutput, sandboxFixture } from '../helpers/sandbox-fixture';

/**
 * A second container joins a running sandbox through core's API (SandboxService.addContainer/startContainer/
 * removeContainer), wired from config and plugins as the CLI wires it: with block storage its rootfs and volume are
 * disks hot-plugged over QMP and unplugged again; with virtio-fs its rootfs comes through the sandbox's one virtiofsd.
 */
describe('adding a container to a running sandbox (real VM)', function () {
  this.timeout(240_000);
  const fx = sandboxFixture('addc');

  for (const driver of ['virtio-blk', 'virtio-scsi']) {
    it(`hot-plugs a second container's rootfs and an ext4 volume (${driver}); after removal the image holds the write`, async () => {
      const src = join(fx.dir, 'vol-src');
      await fs.mkdir(src);
      await fs.writeFile(join(src, 'hello.txt'), 'from the host\n');
      const image = join(fx.dir, 'vol.img');
      execFileSync('truncate', ['-s', '16M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, image]);
      const { svc, live } = await fx.start(`version = 1\n[plugins."storage.block"]\nblock_device_driver = "${driver}"\n`, 'hp1');

      const second = await readBundle(await makeBundle(
        ['sh', '-c', 'cat /root/hello.txt; echo written after hot-plug > /root/newfile; grep -E " /(root)? " /proc/mounts'],
        (s) => { (s.mounts as unknown[]).push({ destination: '/root', type: 'ext4', source: image, options: ['rw'] }); },
      ));
      await svc.addContainer(live, 'c2', second);
      await assert.rejects(svc.addContainer(live, 'c2', second), /has a container with this id already/);
      await svc.startContainer(live, 'c2');
      const { out, err, status } = await processOutput(live.agent!, 'c2');
      assert.equal(status, 0, `${out}${err}`);
      assert.match(out, /^from the host$/m);
      const disk = driver === 'virtio-scsi' ? 'sd' : 'vd';
      assert.match(out, new RegExp(`^/dev/${disk}[a-z]+ / ext4 `, 'm'), out);
      assert.match(out, new RegExp(`^/dev/${disk}[a-z]+ /root ext4 rw`, 'm'), out);

      await svc.removeContainer(live, 'c2');
      const written = execFileSync('debugfs', ['-R', 'cat /newfile', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      assert.equal(written, 'written after hot-plug\n');
      assert.ok(!(await fs.readdir(join(fx.root, 'hp1', 'run'))).some((f) => f.includes('c2')), 'the second rootfs image is gone');

      // The first container still runs after its neighbour's disks left.
      await live.agent!.signal('hp1', '', 9);
      assert.equal(await live.agent!.wait('hp1', ''), 137);
      await svc.finish(live, false);
      fx.finished();
    });
  }

  it('brings a second container\'s rootfs and volume through the sandbox\'s one virtiofsd (virtio-fs)', async () => {
    const vol = join(fx.dir, 'vol');
    await fs.mkdir(vol);
    await fs.writeFile(join(vol, 'from-host'), 'shared by the host\n');
    const { svc, live } = await fx.start('version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n', 'vf1');
    const daemons = (): string[] => processesMentioning(fx.root).filter((p) => p.includes('virtiofsd'));
    const before = daemons();
    assert.ok(before.length > 0, 'virtiofsd runs for the sandbox');

    const second = await readBundle(await makeBundle(
      ['sh', '-c', 'cat /data/from-host; echo from c2 > /data/from-c2; grep -E " /(data)? " /proc/mounts'],
      (s) => { (s.mounts as unknown[]).push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw'] }); },
    ));
    await svc.addContainer(live, 'c2', second);
    await svc.startContainer(live, 'c2');
    const { out, err, status } = await processOutput(live.agent!, 'c2');
    assert.equal(status, 0, `${out}${err}`);
    assert.match(out, /^shared by the host$/m);
    assert.match(out, /^\S+ \/ virtiofs /m, out);
    assert.equal((await fs.readFile(join(vol, 'from-c2'), 'utf8')), 'from c2\n');
    assert.deepEqual(daemons(), before, 'the same virtiofsd serves the second container');

    await svc.removeContainer(live, 'c2');
    const shared = join(fx.root, 'vf1', 'run', 'shared');
    assert.deepEqual((await fs.readdir(shared)).filter((f) => f === 'c2'), [], 'the second container\'s share is gone');
    await live.agent!.signal('vf1', '', 9);
    assert.equal(await live.agent!.wait('vf1', ''), 137);
    await svc.finish(live, false);
    fx.finished();
  });
});
