// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { blockVolume } from './block-volumes';
import { mountedOnHost } from './host-mounts';

/** A block device node of this host that no host mount uses, if any (stat only: nothing is opened). */
async function someBlockDevice(): Promise<string | undefined> {
  for (const p of readdirSync('/dev').map((n) => join('/dev', n))) {
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isBlockDevice() && await mountedOnHost(st.rdev) === undefined) return p;
  }
  return undefined;
}

describe('blockVolume (which spec mounts become disks)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cella-blkvol-'));
    writeFileSync(join(dir, 'disk.img'), '');
    mkdirSync(join(dir, 'folder'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an image file with a filesystem type: fstype from the type, bind options dropped, ro kept first', async () => {
    const v = await blockVolume({ destination: '/data', type: 'ext4', source: join(dir, 'disk.img'), options: ['rbind', 'rprivate', 'nosuid', 'ro'] }, 3);
    assert.deepEqual(v, { index: 3, source: join(dir, 'disk.img'), fstype: 'ext4', readOnly: true, options: ['ro', 'nosuid'], hostDevice: false });
  });

  it('lets the last of ro and rw win', async () => {
    const v = await blockVolume({ destination: '/d', type: 'xfs', source: join(dir, 'disk.img'), options: ['ro', 'rw', 'noatime'] }, 0);
    assert.equal(v?.readOnly, false);
    assert.deepEqual(v?.options, ['noatime']);
  });

  it('leaves bind mounts of files and folders, and kernel filesystems, to the other paths', async () => {
    assert.equal(await blockVolume({ destination: '/d', type: 'bind', source: join(dir, 'disk.img'), options: ['rbind'] }, 0), undefined);
    assert.equal(await blockVolume({ destination: '/d', type: 'bind', source: join(dir, 'folder') }, 0), undefined);
    assert.equal(await blockVolume({ destination: '/proc', type: 'proc', source: 'proc' }, 0), undefined);
    assert.equal(await blockVolume({ destination: '/d', type: 'bind', source: join(dir, 'missing') }, 0), undefined);
  });

  it('takes a host block device whatever the type, leaving the filesystem to the guest to detect', async function () {
    const dev = await someBlockDevice();
    if (!dev) this.skip();
    const v = await blockVolume({ destination: '/d', type: 'bind', source: dev, options: ['rbind'] }, 1);
    assert.deepEqual(v, { index: 1, source: dev, fstype: 'auto', readOnly: false, options: [], hostDevice: true });
  });

  it('names the mount when a filesystem-typed source is missing, relative or a folder', async () => {
    const cases = [[join(dir, 'missing'), 'does not exist'], ['disk.img', 'not an absolute path'], [join(dir, 'folder'), 'neither']] as const;
    for (const [source, reason] of cases) {
      await assert.rejects(blockVolume({ destination: '/d', type: 'ext4', source }, 2), (err: unknown) => {
        assert.ok(isCellaError(err, 'E_STORAGE_MOUNT_SOURCE'), String(err));
        assert.equal(err.details?.field, 'mounts[2].source');
        assert.equal(err.details?.source, source);
        assert.match(String(err.details?.reason), new RegExp(reason));
        return true;
      });
    }
  });
});
