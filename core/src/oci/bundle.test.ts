// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle } from './bundle';

const good = () => ({ ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' }, root: { path: 'rootfs' } });

describe('readBundle', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-bundle-')); mkdirSync(join(dir, 'rootfs')); });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));
  const write = (spec: unknown): void => writeFileSync(join(dir, 'config.json'), typeof spec === 'string' ? spec : JSON.stringify(spec));
  const rejects = (code: string, field: RegExp) => assert.rejects(readBundle(dir), (err: Error & { code: string; details: Record<string, unknown> }) => {
    assert.equal(err.code, code);
    assert.match(`${err.message} ${JSON.stringify(err.details)}`, field);
    return true;
  });

  it('reads a valid bundle and resolves root.path against the bundle', async () => {
    write(good());
    const b = await readBundle(dir);
    assert.equal(b.rootfs, join(dir, 'rootfs'));
    assert.deepEqual(b.spec.process?.args, ['sh']);
  });

  it('names config.json when it is missing', () => rejects('E_BUNDLE_NOT_FOUND', /config\.json/));
  it('names the file when config.json is not JSON', () => { write('{nope'); return rejects('E_BUNDLE_INVALID', /config\.json/); });
  it('names process.args when it is missing', () => { const s = good() as Record<string, any>; delete s.process.args; write(s); return rejects('E_BUNDLE_INVALID', /process\.args/); });
  it('names process.args when it is empty', () => { const s = good(); s.process.args = []; write(s); return rejects('E_BUNDLE_INVALID', /process\.args/); });
  it('names process.cwd when it is relative', () => { const s = good(); s.process.cwd = 'x'; write(s); return rejects('E_BUNDLE_INVALID', /process\.cwd/); });
  it('names root.path when the rootfs does not exist', () => { const s = good(); s.root.path = 'nope'; write(s); return rejects('E_BUNDLE_INVALID', /root\.path/); });
  it('names a mount without an absolute destination', () => { write({ ...good(), mounts: [{ destination: 'rel' }] }); return rejects('E_BUNDLE_INVALID', /mounts\[0\]\.destination/); });
  it('refuses a bundle path that is a file', async () => {
    writeFileSync(join(dir, 'f'), '');
    await assert.rejects(readBundle(join(dir, 'f')), { code: 'E_BUNDLE_INVALID' });
  });
});
