// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SPEC_FILE_BYTES, readSpecFile } from './spec-file';

describe('readSpecFile (config.json, exec --process: untrusted files)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-specfile-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refuses = async (file: string, text: RegExp): Promise<string> => {
    let shown = '';
    await assert.rejects(readSpecFile(file, 'The spec file'), (e: Error & { code: string; details: Record<string, unknown> }) => {
      assert.equal(e.code, 'E_BUNDLE_INVALID');
      assert.equal(e.details.file, file);
      assert.match(e.message, text);
      shown = `${e.message} ${JSON.stringify(e.details)} ${String((e as { cause?: unknown }).cause ?? '')}`;
      return true;
    });
    return shown;
  };

  it('reads a regular file, through a symlink too', async () => {
    writeFileSync(join(dir, 'c.json'), '{"a":1}');
    symlinkSync('c.json', join(dir, 'l.json'));
    assert.deepEqual(await readSpecFile(join(dir, 'l.json'), 'x'), { a: 1 });
  });

  it('refuses a folder, /dev/zero through a symlink and a FIFO (without hanging), naming the file', async () => {
    mkdirSync(join(dir, 'd'));
    await refuses(join(dir, 'd'), /is a folder, not a regular file/);
    symlinkSync('/dev/zero', join(dir, 'zero'));
    await refuses(join(dir, 'zero'), /is a character device/);
    assert.equal(spawnSync('mkfifo', [join(dir, 'fifo')]).status, 0);
    const t0 = Date.now();
    await refuses(join(dir, 'fifo'), /is a FIFO/);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('bounds what is read, not what stat says (/proc files have size 0)', async () => {
    writeFileSync(join(dir, 'big'), Buffer.alloc(MAX_SPEC_FILE_BYTES + 10, 0x20));
    await refuses(join(dir, 'big'), /larger than 16777216 bytes/);
  });

  it('never shows the file\'s bytes in the error (a symlink to a secret)', async () => {
    const secret = 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n';
    writeFileSync(join(dir, 'shadow'), secret);
    symlinkSync(join(dir, 'shadow'), join(dir, 'config.json'));
    const shown = await refuses(join(dir, 'config.json'), /is not valid JSON/);
    assert.ok(!shown.includes('SECRET') && !shown.includes('root:'), shown);
  });

  it('names a missing file as not found', async () => {
    await assert.rejects(readSpecFile(join(dir, 'none'), 'The spec file'), { code: 'E_BUNDLE_NOT_FOUND' });
  });
});
