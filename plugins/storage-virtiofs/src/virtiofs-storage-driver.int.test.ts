// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CORE_UNDO_HANDLERS, isAlive, isCellaError, type OciMount } from '@cella/core';
import { mountsUnder } from './host-mounts';
import { makeBundle } from './test-support/bundle-fixture';
import { destroyFixture, makeFixture, processesWith, type Fixture } from './test-support/sandbox-fixture';
import { VirtiofsStorageDriver } from './virtiofs-storage-driver';

function mountOptions(target: string): string[] {
  const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === target);
  return line?.split(' ')[3]?.split(',') ?? [];
}

describe('VirtiofsStorageDriver (root, real mounts and virtiofsd)', function () {
  this.timeout(30_000);
  const fixtures: Fixture[] = [];
  const drivers: VirtiofsStorageDriver[] = [];

  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.cleanup().catch(() => undefined);
    for (const f of fixtures.splice(0)) await destroyFixture(f);
  });

  async function setup(config: Record<string, unknown> = {}): Promise<{ f: Fixture; driver: VirtiofsStorageDriver }> {
    const f = await makeFixture('cella-vfs-int-');
    fixtures.push(f);
    const driver = new VirtiofsStorageDriver(f.sandbox, config);
    drivers.push(driver);
    return { f, driver };
  }

  it('binds the rootfs and volumes into the shared folder, starts one virtiofsd, and cleanup leaves nothing', async () => {
    const { f, driver } = await setup();
    const b = await makeBundle(f.root);
    const mounts: OciMount[] = [
      { destination: '/data', type: 'bind', source: b.rwVolume, options: ['rbind', 'rw'] },
      { destination: '/config', type: 'bind', source: b.roVolume, options: ['bind', 'ro'] },
      { destination: '/proc', type: 'proc', source: 'proc' },
    ];
    const res = await driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: true }, mounts });
    const shared = driver.sharedDir;
    assert.deepEqual(res.devices, [{ kind: 'fs', id: 'shared-fs0', socketPath: driver.socketPath, tag: 'cella-shared' }]);
    assert.deepEqual(res.storages, [{ driver: 'virtio-fs', source: 'cella-shared', fstype: 'virtiofs', options: [], mountPoint: '/run/cella/shared' }]);
    assert.equal(res.guestRootPath, '/run/cella/shared/c1/rootfs');
    assert.deepEqual(res.guestMounts.map((m) => m.source), ['/run/cella/shared/c1/mounts/0', '/run/cella/shared/c1/mounts/1', 'proc']);

    const mounted = await mountsUnder(f.root);
    for (const t of ['', '/c1/rootfs', '/c1/mounts/0', '/c1/mounts/1']) assert.ok(mounted.includes(shared + t), `${shared}${t} is not mounted`);
    assert.ok(mountOptions(`${shared}/c1/rootfs`).includes('ro'), 'read-only rootfs is mounted rw');
    assert.ok(mountOptions(`${shared}/c1/mounts/1`).includes('ro'), 'ro volume is mounted rw');
    assert.ok(mountOptions(`${shared}/c1/mounts/0`).includes('rw'));
    assert.equal(await fs.readFile(`${shared}/c1/mounts/1/ro-file.txt`, 'utf8'), 'read-only-content\n');
    await assert.rejects(fs.writeFile(`${shared}/c1/mounts/1/new`, 'x'), { code: 'EROFS' });
    await fs.writeFile(`${shared}/c1/mounts/0/through-share`, 'y');
    assert.equal(await fs.readFile(path.join(b.rwVolume, 'through-share'), 'utf8'), 'y');

    const pid = driver.daemonPid!;
    assert.ok(pid !== undefined && isAlive(pid), 'virtiofsd is not running');
    assert.ok((await fs.stat(driver.socketPath)).isSocket(), 'no vhost-user socket');
    assert.ok(f.journal.entries().some((e) => e.type === 'process' && e.data.pid === pid));
    assert.equal(f.journal.entries().filter((e) => e.type === 'mount').length, 4);

    // A second container reuses the share and the daemon: no device.
    await fs.mkdir(path.join(f.root, 'second'));
    const b2 = await makeBundle(path.join(f.root, 'second'), 'second');
    const res2 = await driver.prepare({ containerId: 'c2', rootfs: { path: b2.rootfs, readonly: false }, mounts: [] });
    assert.deepEqual(res2.devices, []);
    assert.equal(driver.daemonPid, pid);
    assert.equal(await fs.readFile(`${shared}/c2/rootfs/marker`, 'utf8'), 'second\n');
    await driver.release('c2');
    assert.ok(!existsSync(`${shared}/c2`));
    assert.ok(existsSync(path.join(b2.rootfs, 'marker')), 'release deleted the bundle');

    await driver.cleanup();
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.ok(!isAlive(pid), 'virtiofsd still runs');
    assert.deepEqual(processesWith(f.sandbox.runDir), []);
    assert.ok(!existsSync(shared) && !existsSync(path.dirname(driver.socketPath)), 'folders left behind');
    assert.deepEqual(f.journal.entries(), []);
    assert.equal(await fs.readFile(path.join(b.rwVolume, 'host-file.txt'), 'utf8'), 'written-by-host\n');
    assert.equal(await fs.readFile(path.join(b.rootfs, 'marker'), 'utf8'), 'rootfs-marker\n');
    await driver.cleanup();
  });

  it('refuses a mount source that does not exist, naming its index and path, and leaves nothing behind', async () => {
    const { f, driver } = await setup();
    const b = await makeBundle(f.root);
    const missing = path.join(f.root, 'no-such-dir');
    const mounts: OciMount[] = [
      { destination: '/data', type: 'bind', source: b.rwVolume, options: ['rbind'] },
      { destination: '/gone', type: 'bind', source: missing, options: ['rbind', 'ro'] },
    ];
    await assert.rejects(driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: false }, mounts }), (err: unknown) => {
      assert.ok(isCellaError(err));
      assert.equal(err.code, 'E_STORAGE_MOUNT_SOURCE');
      assert.equal(err.details.field, 'mounts[1]');
      assert.equal(err.details.source, missing);
      return true;
    });
    assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.deepEqual(processesWith(f.sandbox.runDir), []);
    assert.deepEqual(f.journal.entries(), []);
  });

  it('refuses a virtiofsd path that is not executable, naming it, and leaves nothing behind', async () => {
    const bogus = '/etc/hostname';
    const { f, driver } = await setup({ virtiofsd_path: bogus });
    const b = await makeBundle(f.root);
    await assert.rejects(driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: false }, mounts: [] }), (err: unknown) => {
      assert.ok(isCellaError(err));
      assert.equal(err.code, 'E_STORAGE_VIRTIOFSD');
      assert.equal(err.details.path, bogus);
      return true;
    });
    assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.deepEqual(f.journal.entries(), []);
  });

  it('refuses QEMU\'s C virtiofsd with the default unprivileged ownership, naming the option, and leaves nothing behind', async function () {
    const c = '/usr/lib/qemu/virtiofsd';
    if (!(await fs.stat(c).catch(() => undefined))) this.skip();
    const { f, driver } = await setup({ virtiofsd_path: c });
    const b = await makeBundle(f.root);
    await assert.rejects(driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: false }, mounts: [] }),
      (err: unknown) => isCellaError(err, 'E_STORAGE_VIRTIOFSD_OPTION') && err.details.option === 'ownership');
    assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.deepEqual(f.journal.entries(), []);
  });

  it('mounts what a symlinked mount source resolves to', async () => {
    const { f, driver } = await setup();
    const b = await makeBundle(f.root);
    const link = path.join(f.root, 'vol-link');
    await fs.symlink(b.roVolume, link);
    await driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: false }, mounts: [{ destination: '/v', type: 'bind', source: link, options: ['rbind', 'ro'] }] });
    assert.equal(await fs.readFile(`${driver.sharedDir}/c1/mounts/0/ro-file.txt`, 'utf8'), 'read-only-content\n');
    // The rootfs symlink to /etc stays a symlink in the share: it is the guest that resolves it.
    assert.equal(await fs.readlink(`${driver.sharedDir}/c1/rootfs/escape`), '/etc');
  });
  it('cleans up after virtiofsd was killed mid-run', async () => {
    const { f, driver } = await setup();
    const b = await makeBundle(f.root);
    await driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: false }, mounts: [{ destination: '/d', type: 'bind', source: b.rwVolume, options: ['rbind'] }] });
    const pid = driver.daemonPid!;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    await driver.cleanup();
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
    assert.deepEqual(f.journal.entries(), []);
    assert.equal(await fs.readFile(path.join(b.rwVolume, 'host-file.txt'), 'utf8'), 'written-by-host\n');
  });

  it('is undone from its journal alone by the core undo handlers (runtime crashed)', async () => {
    const { f, driver } = await setup();
    const b = await makeBundle(f.root);
    await driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: true }, mounts: [{ destination: '/d', type: 'bind', source: b.roVolume, options: ['rbind', 'ro'] }] });
    const pid = driver.daemonPid!;
    const handlers = new Map(CORE_UNDO_HANDLERS.map((h) => [h.type, h]));
    for (const e of [...f.journal.entries()].reverse()) {
      await handlers.get(e.type)!.undo(e);
      await f.journal.complete(e.seq);
    }
    assert.ok(!isAlive(pid), 'virtiofsd still runs');
    assert.deepEqual(await mountsUnder(f.root), []);
    assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
    assert.equal(await fs.readFile(path.join(b.roVolume, 'ro-file.txt'), 'utf8'), 'read-only-content\n');
    assert.equal(await fs.readFile(path.join(b.rootfs, 'marker'), 'utf8'), 'rootfs-marker\n');
  });
});
