// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '@cella/core';
import { KernelSource, bzImageRelease } from './kernel-source';

/** A buffer with just the bzImage setup header fields `bzImageRelease` reads. */
function fakeBzImage(version: string | undefined): Buffer {
  const buf = Buffer.alloc(0x4000);
  buf.write('HdrS', 0x202, 'latin1');
  if (version !== undefined) {
    buf.writeUInt16LE(0x3000 - 0x200, 0x20e);
    buf.write(`${version}\0`, 0x3000, 'latin1');
  }
  return buf;
}

describe('kernel-source', () => {
  it('reads the release from a bzImage setup header', () => {
    assert.equal(bzImageRelease(fakeBzImage('6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP')), '6.1.0-56-cloud-amd64');
    assert.equal(bzImageRelease(fakeBzImage(undefined)), undefined);
    assert.equal(bzImageRelease(Buffer.from('\x7fELF not a bzImage')), undefined);
  });

  it('asks for `apt-get update` when apt has no package lists', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'cella-apt-'));
    const saved = process.env.APT_CONFIG;
    try {
      // A private apt configuration whose lists folder is empty, as on a fresh container host.
      await fs.mkdir(join(dir, 'lists', 'partial'), { recursive: true });
      await fs.writeFile(join(dir, 'apt.conf'),
        `Dir::State::lists "${dir}/lists/";\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`);
      process.env.APT_CONFIG = join(dir, 'apt.conf');
      await assert.rejects(new KernelSource(join(dir, 'dl')).identify(), (err: unknown) =>
        isCellaError(err, 'E_IMAGE_KERNEL') && /apt-get update/.test(err.hint ?? ''));
    } finally {
      if (saved === undefined) delete process.env.APT_CONFIG;
      else process.env.APT_CONFIG = saved;
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('names the Debian cloud kernel package, its version and checksum from apt', async () => {
    const id = await new KernelSource('/nonexistent').identify();
    assert.match(id.deb?.pkg ?? '', /^linux-image-\d.*-cloud-amd64$/);
    assert.match(id.deb?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(id.keyPart, `deb:${id.deb?.pkg}=${id.deb?.version}:${id.deb?.sha256}`);
  });

  describe('with a kernel from the config', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(join(tmpdir(), 'cella-kernel-'));
      await fs.mkdir(join(dir, 'modules', '6.1.0-test'), { recursive: true });
      await fs.writeFile(join(dir, 'modules', '6.1.0-test', 'modules.dep'), '');
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('takes the release from the header when it agrees with the modules folder', async () => {
      await fs.writeFile(join(dir, 'vmlinuz'), fakeBzImage('6.1.0-test #1'));
      const src = new KernelSource(join(dir, 'dl'), { path: join(dir, 'vmlinuz'), modulesDir: join(dir, 'modules', '6.1.0-test') });
      const k = await src.prepare(await src.identify(), dir);
      assert.equal(k.release, '6.1.0-test');
      assert.equal(k.downloaded, 0);
    });

    it('refuses a kernel whose modules folder is of another release', async () => {
      await fs.writeFile(join(dir, 'vmlinuz'), fakeBzImage('6.2.0-other #1'));
      const src = new KernelSource(join(dir, 'dl'), { path: join(dir, 'vmlinuz'), modulesDir: join(dir, 'modules', '6.1.0-test') });
      await assert.rejects(src.prepare(await src.identify(), dir), (err: unknown) => isCellaError(err, 'E_IMAGE_KERNEL'));
    });

    it('says the kernel file is missing', async () => {
      const src = new KernelSource(join(dir, 'dl'), { path: join(dir, 'nope'), modulesDir: join(dir, 'modules', '6.1.0-test') });
      await assert.rejects(src.identify(), (err: unknown) => isCellaError(err, 'E_IMAGE_KERNEL') && err.details.path === join(dir, 'nope'));
    });
  });
});
