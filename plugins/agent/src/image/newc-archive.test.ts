// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeNewcArchive } from './newc-archive';

describe('newc-archive', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'cella-newc-'));
    const stage = join(dir, 'stage');
    await fs.mkdir(join(stage, 'bin'), { recursive: true });
    await fs.mkdir(join(stage, 'dev'));
    await fs.writeFile(join(stage, 'init'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await fs.writeFile(join(stage, 'bin', 'odd'), 'abc');
    await fs.symlink('/bin/busybox', join(stage, 'bin', 'sh'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes an archive cpio lists with files, symlinks, modes and a console device owned by root', async () => {
    const out = join(dir, 'initrd.cpio.gz');
    await writeNewcArchive(join(dir, 'stage'), out, [{ path: 'dev/console', kind: 'char', mode: 0o600, major: 5, minor: 1 }]);
    const data = gunzipSync(readFileSync(out));
    const names = execFileSync('cpio', ['-t', '--quiet'], { input: data }).toString().trim().split('\n');
    assert.deepEqual(names, ['bin', 'bin/odd', 'bin/sh', 'dev', 'dev/console', 'init']);
    const lines = execFileSync('cpio', ['-t', '-v', '--quiet', '--numeric-uid-gid'], { input: data }).toString().trim().split('\n');
    const byName = (n: string): string => lines.find((l) => l.includes(` ${n}`)) ?? '';
    assert.match(byName('init'), /^-rwxr-xr-x\s+1\s+0\s+0\s+18 /);
    assert.match(byName('bin/sh'), /^lrwxrwxrwx .* bin\/sh -> \/bin\/busybox$/);
    assert.match(byName('dev/console'), /^crw-------\s+1\s+0\s+0\s+5,\s+1 /);
  });

  it('gives the same bytes for the same folder', async () => {
    await writeNewcArchive(join(dir, 'stage'), join(dir, 'a.gz'));
    await fs.utimes(join(dir, 'stage', 'init'), new Date(), new Date(2000, 1, 1));
    await writeNewcArchive(join(dir, 'stage'), join(dir, 'b.gz'));
    assert.deepEqual(readFileSync(join(dir, 'a.gz')), readFileSync(join(dir, 'b.gz')));
  });

  it('keeps file content intact when cpio unpacks it', async () => {
    const out = join(dir, 'x.cpio.gz');
    await writeNewcArchive(join(dir, 'stage'), out);
    const unpack = join(dir, 'unpack');
    await fs.mkdir(unpack);
    execFileSync('cpio', ['-i', '-d', '--quiet', 'init', 'bin/odd'], { cwd: unpack, input: gunzipSync(readFileSync(out)) });
    assert.equal(await fs.readFile(join(unpack, 'init'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(await fs.readFile(join(unpack, 'bin', 'odd'), 'utf8'), 'abc');
  });
});
