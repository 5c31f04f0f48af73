// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, CELLA, cella, makeBundle, processesMentioning, tempDir } from '../helpers/cella';
import { runtime } from '../helpers/oci-runtime';

/** The virtio-fs storage plugin selected by config, through `cella run` with a real VM and virtiofsd. */
describe('virtio-fs volumes (real VM, real virtiofsd)', function () {
  this.timeout(180_000);
  let root: string;
  let dir: string;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('vfs'); });
  afterEach(async () => {
    assertNothingLeft(root);
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(root));
    assert.deepEqual(mounts, [], 'no mount is left under the root dir');
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('shares a read-write and a read-only volume with the host', async () => {
    const rw = join(dir, 'rw');
    const ro = join(dir, 'ro');
    await fs.mkdir(rw);
    await fs.mkdir(ro);
    await fs.writeFile(join(rw, 'from-host'), 'written on the host\n');
    await fs.writeFile(join(ro, 'keep'), 'read-only\n');
    const script = 'cat /root/from-host; echo written in the guest > /root/from-guest; '
      + '{ echo x > /var/tmp/keep && echo RO-WRITABLE; } 2>&1; true';
    const bundle = await makeBundle(['sh', '-c', script], (s) => {
      (s.mounts as unknown[]).push(
        { destination: '/root', type: 'bind', source: rw, options: ['rbind', 'rw'] },
        { destination: '/var/tmp', type: 'bind', source: ro, options: ['rbind', 'ro'] },
      );
    });
    const config = join(dir, 'config.toml');
    await fs.writeFile(config, 'version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n');
    const r = await cella(['run', '--config', config, '--root', root, '--bundle', bundle, 'vfs1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^written on the host$/m);
    assert.equal(await fs.readFile(join(rw, 'from-guest'), 'utf8'), 'written in the guest\n');
    assert.doesNotMatch(r.stdout, /RO-WRITABLE/);
    assert.match(r.stdout, /Read-only file system/);
    assert.equal(await fs.readFile(join(ro, 'keep'), 'utf8'), 'read-only\n');
  });

  it('names a volume whose source does not exist, and leaves nothing behind', async () => {
    const bundle = await makeBundle(['true'], (s) => {
      (s.mounts as unknown[]).push({ destination: '/root', type: 'bind', source: join(dir, 'missing'), options: ['rbind'] });
    });
    const config = join(dir, 'config.toml');
    await fs.writeFile(config, 'version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n');
    const r = await cella(['run', '--config', config, '--root', root, '--bundle', bundle, 'vfs2']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(join(dir, 'missing')), r.stderr);
  });

  it('serves the rootfs from a block disk and the volumes through virtio-fs when config splits the roles', async () => {
    const rw = join(dir, 'rw');
    await fs.mkdir(rw);
    await fs.writeFile(join(rw, 'from-host'), 'written on the host\n');
    const bundle = await makeBundle(['sh', '-c', 'grep -E " /(root)? " /proc/mounts; cat /root/from-host; echo from the guest > /root/from-guest'], (s) => {
      (s.mounts as unknown[]).push({ destination: '/root', type: 'bind', source: rw, options: ['rbind', 'rw'] });
    });
    const config = join(dir, 'config.toml');
    await fs.writeFile(config, 'version = 1\n[storage]\nplugin = "@cella/storage-block"\nvolumes = "@cella/storage-virtiofs"\n');
    const env = await cella(['env', '--json', '--config', config]);
    assert.equal(env.code, 0, env.stderr);
    const plugins = JSON.parse(env.stdout).plugins as Record<string, { id: string }>;
    assert.equal(plugins.storage?.id, 'storage.block');
    assert.equal(plugins.volumes?.id, 'storage.virtiofs');
    const r = await cella(['run', '--config', config, '--root', root, '--bundle', bundle, 'split1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/dev\/vd[a-z]+ \/ ext4 /m, r.stdout);
    assert.match(r.stdout, /^\S+ \/root virtiofs rw/m, r.stdout);
    assert.match(r.stdout, /^written on the host$/m);
    assert.equal(await fs.readFile(join(rw, 'from-guest'), 'utf8'), 'from the guest\n');
  });

  it('refuses a volumes plugin that is not a storage plugin, naming it', async () => {
    const config = join(dir, 'config.toml');
    await fs.writeFile(config, 'version = 1\n[storage]\nvolumes = "@cella/network-tap"\n');
    const r = await cella(['config', 'validate', config]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /@cella\/network-tap/);
    assert.match(r.stderr, /storage/);
  });

  for (const victim of ['virtiofsd', 'qemu'] as const) {
    it(`delete --force after ${victim} was killed mid-run leaves no process, mount or file behind`, async () => {
      const vol = join(dir, 'vol');
      await fs.mkdir(vol);
      const bundle = await makeBundle(['sleep', '300'], (s) => {
        (s.mounts as unknown[]).push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw'] });
      });
      const config = join(dir, 'config.toml');
      await fs.writeFile(config, 'version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n');
      const oci = runtime(process.execPath, [CELLA, '--config', config], root);
      const id = `kill-${victim}`;
      const created = oci(['create', '--bundle', bundle, id]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(oci(['start', id]).code, 0);
      const mountsUnderRoot = (): string[] => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(root));
      assert.ok(mountsUnderRoot().length > 0, 'the shared folder is mounted while the container runs');
      const pids = processesMentioning(root).filter((p) => p.includes(victim === 'qemu' ? 'qemu-system' : 'virtiofsd')).map((p) => Number(p.split(' ')[0]));
      assert.ok(pids.length > 0, `${victim} runs`);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      const del = oci(['delete', '--force', id]);
      assert.equal(del.code, 0, del.stderr);
      assert.deepEqual(mountsUnderRoot(), []);
      assert.deepEqual(await fs.readdir(vol), [], 'the volume folder is untouched');
      // afterEach checks: no process mentions the root, nothing under it.
    });
  }
});
