// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { nullLogger, readBundle, type GuestAgent, type OciSpec, type SandboxHandle, type SandboxService, type VmDevice } from '@cella/core';
import { loadRuntime, makeSandboxService } from '@cella/cli';
import { assertNothingLeft, HELLO, makeBundle, tempDir } from '../helpers/cella';

async function readAll(read: (max: number) => Promise<Buffer | undefined>): Promise<string> {
  let out = '';
  for (let chunk = await read(65536); chunk !== undefined; chunk = await read(65536)) out += chunk.toString();
  return out;
}

/**
 * Hot-plug through the real composition (config → plugins → SandboxService): a sandbox runs a container, then a
 * second container whose rootfs and volume are disks hot-plugged over QMP joins it, writes to the volume, and
 * its disks are unplugged again. No `cella` command adds a volume to a running sandbox yet: the test drives the
 * ports the way the runtime would.
 */
describe('block storage hot-plug into a running sandbox (real VM, QMP)', function () {
  this.timeout(240_000);
  let root: string;
  let dir: string;
  let svc: SandboxService | undefined;
  let live: SandboxHandle | undefined;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('blkhp'); });
  afterEach(async () => {
    if (svc && live) await svc.finish(live, true).catch(() => undefined);
    svc = undefined;
    live = undefined;
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const driver of ['virtio-blk', 'virtio-scsi']) {
    it(`hot-plugs a second container's rootfs and an ext4 volume (${driver}); after unplug the image holds the write`, async () => {
      const config = join(dir, 'config.toml');
      await fs.writeFile(config, `version = 1\n[plugins."storage.block"]\nblock_device_driver = "${driver}"\n`);
      const src = join(dir, 'vol-src');
      await fs.mkdir(src);
      await fs.writeFile(join(src, 'hello.txt'), 'from the host\n');
      const image = join(dir, 'vol.img');
      execFileSync('truncate', ['-s', '16M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, image]);

      const rt = await loadRuntime({ config, root }, nullLogger);
      svc = makeSandboxService(rt);
      const first = await readBundle(await makeBundle(['sleep', '300']));
      live = await svc.create('hp1', first);
      await svc.start(live);
      const agent: GuestAgent = live.agent!;

      const prepared = await live.storage!.prepare({
        containerId: 'c2', rootfsPath: join(HELLO, 'rootfs'), readonly: true,
        mounts: [...(first.spec.mounts ?? []), { destination: '/root', type: 'ext4', source: image, options: ['rw'] }],
      });
      const disks = prepared.devices.filter((d): d is Extract<VmDevice, { kind: 'block' }> => d.kind === 'block');
      assert.equal(disks.length, 2);
      assert.ok(disks.every((d) => d.driver === driver));
      for (const d of prepared.devices) await live.hypervisor!.hotplug(d);

      const spec: OciSpec = structuredClone(first.spec);
      spec.process!.args = ['sh', '-c', 'cat /root/hello.txt; echo written after hot-plug > /root/newfile; grep -E " /(root)? " /proc/mounts'];
      spec.root = { path: prepared.guestRootPath, readonly: true };
      spec.mounts = prepared.guestMounts;
      await agent.createContainer({ containerId: 'c2', spec, storages: prepared.storages });
      await agent.startContainer('c2');
      const [out, err, status] = await Promise.all([
        readAll((n) => agent.readStdout('c2', '', n)), readAll((n) => agent.readStderr('c2', '', n)), agent.wait('c2', ''),
      ]);
      assert.equal(status, 0, `${out}${err}`);
      assert.match(out, /^from the host$/m);
      const disk = driver === 'virtio-scsi' ? 'sd' : 'vd';
      assert.match(out, new RegExp(`^/dev/${disk}[a-z]+ / ext4 ro`, 'm'), out);
      assert.match(out, new RegExp(`^/dev/${disk}[a-z]+ /root ext4 rw`, 'm'), out);

      await agent.removeContainer('c2');
      for (const d of [...prepared.devices].reverse()) await live.hypervisor!.unplug(d.id);
      await live.storage!.release('c2');
      const written = execFileSync('debugfs', ['-R', 'cat /newfile', image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      assert.equal(written, 'written after hot-plug\n');
      assert.ok(!(await fs.readdir(join(root, 'hp1', 'run'))).some((f) => f.includes('c2')), 'the second rootfs image is gone');

      // The first container still runs after its neighbour's disks left.
      await agent.signal('hp1', '', 9);
      assert.equal(await agent.wait('hp1', ''), 137);
      await svc.finish(live, false);
      live = undefined;
    });
  }
});
