// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtiofsHostChecks } from './host-checks';

describe('VirtiofsHostChecks', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-vfs-check-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  async function fakeRust(): Promise<string> {
    const p = path.join(dir, 'virtiofsd');
    await fs.writeFile(p, '#!/bin/sh\necho "virtiofsd 1.13.2"\n', { mode: 0o755 });
    return p;
  }

  it('reports the virtiofsd in use with its flavour, version and path', async () => {
    const p = await fakeRust();
    const [line] = await new VirtiofsHostChecks({ virtiofsd_path: p, cache_mode: 'metadata' }).run();
    assert.equal(line?.name, 'virtiofsd');
    assert.equal(line?.status, 'pass');
    assert.equal(line?.detail, `virtiofsd 1.13.2 (Rust virtiofsd, ${p})`);
  });

  it('uses the virtiofsd Cella put below the cache folder when no path is configured', async () => {
    const wrapper = path.join(dir, 'virtiofsd-trixie', 'virtiofsd');
    await fs.mkdir(path.dirname(wrapper));
    await fs.writeFile(wrapper, '#!/bin/sh\necho "virtiofsd 1.13.2"\n', { mode: 0o755 });
    const [line] = await new VirtiofsHostChecks({}, dir).run();
    assert.equal(line?.status, 'pass');
    assert.equal(line?.detail, `virtiofsd 1.13.2 (Rust virtiofsd, ${wrapper})`);
  });

  it('fails naming a configured path that does not exist', async () => {
    const p = path.join(dir, 'missing');
    const [line] = await new VirtiofsHostChecks({ virtiofsd_path: p }).run();
    assert.equal(line?.status, 'fail');
    assert.ok(line?.detail.includes(p), line?.detail);
  });

  it('fails naming cache_mode when the C virtiofsd is asked for the metadata cache', async function () {
    const c = '/usr/lib/qemu/virtiofsd';
    if (!(await fs.stat(c).catch(() => undefined))) this.skip();
    const ok = await new VirtiofsHostChecks({ virtiofsd_path: c, ownership: 'passthrough' }).run();
    assert.equal(ok[0]?.status, 'pass');
    assert.match(ok[0]!.detail, /^virtiofsd version \S+ .*QEMU C virtiofsd/);
    const [line] = await new VirtiofsHostChecks({ virtiofsd_path: c, cache_mode: 'metadata', ownership: 'passthrough' }).run();
    assert.equal(line?.status, 'fail');
    assert.match(line!.detail, /cache_mode/);
  });

  it('fails both lines naming ownership when the C virtiofsd is asked for the default unprivileged ownership', async function () {
    const c = '/usr/lib/qemu/virtiofsd';
    if (!(await fs.stat(c).catch(() => undefined))) this.skip();
    const [vfsd, owner] = await new VirtiofsHostChecks({ virtiofsd_path: c }).run();
    assert.equal(vfsd?.status, 'fail');
    assert.equal(owner?.name, 'virtio-fs ownership');
    assert.equal(owner?.status, 'fail');
    assert.match(owner!.detail, /^unprivileged: .*"option":"ownership"/);
  });

  it('reports the ownership mode: unprivileged with its host id passes, passthrough warns', async () => {
    const p = await fakeRust();
    const [, safe] = await new VirtiofsHostChecks({ virtiofsd_path: p, unprivileged_id: 4000000 }).run();
    assert.deepEqual([safe?.name, safe?.status], ['virtio-fs ownership', 'pass']);
    assert.match(safe!.detail, /^unprivileged: guest writes are owned by host uid\/gid 4000000;/);
    const [, open] = await new VirtiofsHostChecks({ virtiofsd_path: p, ownership: 'passthrough' }).run();
    assert.equal(open?.status, 'warn');
    assert.match(open!.detail, /^passthrough: .*setuid-root files/);
  });
});
