// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cella, REPO, tempDir } from '../helpers/cella';

/** A vendor ships a plugin as an npm package: packed, installed into its own prefix, found through plugin_dirs. */
describe('a vendor plugin installed from an npm pack', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = tempDir('vendor'); });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('is found in plugin_dirs, validated with its own schema, and loaded for its role', async () => {
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, join(REPO, 'test', 'fixtures', 'plugins', 'minimal')], { encoding: 'utf8' }).trim();
    const prefix = join(dir, 'prefix');
    execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--offline', '--prefix', prefix, join(dir, packed)], { stdio: 'pipe' });
    assert.ok(existsSync(join(prefix, 'node_modules', 'cella-network-minimal', 'package.json')));
    const file = join(dir, 'config.toml');
    await fs.writeFile(file, `version = 1\n[runtime]\nplugin_dirs = ["${prefix}"]\n[network]\nplugin = "cella-network-minimal"\n[plugins."network.minimal"]\nqueues = 2\n`);
    const valid = await cella(['config', 'validate', file]);
    assert.equal(valid.code, 0, valid.stderr);
    const list = await cella(['plugins', 'list', '--json', '--config', file]);
    assert.equal(list.code, 0, list.stderr);
    const mine = (JSON.parse(list.stdout).plugins as Array<{ id: string; role: string | null; status: string; package: string }>).find((p) => p.id === 'network.minimal');
    assert.deepEqual(mine && { role: mine.role, status: mine.status, package: mine.package }, { role: 'network', status: 'loaded', package: 'cella-network-minimal' });
    await fs.writeFile(file, `version = 1\n[runtime]\nplugin_dirs = ["${prefix}"]\n[network]\nplugin = "cella-network-minimal"\n[plugins."network.minimal"]\nqueues = "many"\n`);
    const bad = await cella(['config', 'validate', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /plugins\."network\.minimal"\.queues/);
  });
});
