// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { container } from '../di';
import { isCellaError } from '../errors/cella-error';
import { nullLogger } from '../log/logger';
import { makePluginContext } from './plugin-context';
import { PluginLoader, type PluginRecord } from './plugin-loader';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'plugins');
const REPO = join(__dirname, '..', '..', '..');

function ctxFor(rec: PluginRecord, config: Record<string, unknown> = {}) {
  return makePluginContext(container.createChildContainer(), rec.manifest.id, config, nullLogger, { root: '/tmp/r', cache: '/tmp/c', packageDir: rec.packageDir });
}

function throwsCode(f: () => unknown, code: string, text?: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(isCellaError(err, code), `expected ${code}, got ${String(err)}`);
    if (text) assert.match((err as Error).message, text);
    return true;
  });
}

describe('PluginLoader', () => {
  const loader = new PluginLoader([FIXTURES, REPO]);

  it('reads a plugin\'s static view and schema without running its code', () => {
    const rec = loader.inspect(join(FIXTURES, 'minimal'), 'network');
    assert.equal(rec.manifest.id, 'network.minimal');
    assert.equal(rec.packageVersion, '1.2.3');
    assert.equal((rec.schema as { type: string }).type, 'object');
    assert.equal(rec.status, 'discovered');
  });

  it('resolves an installed package by name like Node does', () => {
    const rec = loader.inspect('@cella/storage-block', 'storage');
    assert.equal(rec.manifest.id, 'storage.block');
  });

  it('names a plugin that is not installed', () => {
    throwsCode(() => loader.inspect('@nope/cella-missing'), 'E_PLUGIN_NOT_FOUND', /@nope\/cella-missing/);
  });

  it('refuses an incompatible apiVersion naming both versions, without importing the plugin', () => {
    throwsCode(() => loader.inspect(join(FIXTURES, 'bad-api-version')), 'E_PLUGIN_API_VERSION', /\^9\.0\.0.*1\.0\.0/);
  });

  it('refuses a plugin serving the wrong role', () => {
    throwsCode(() => loader.inspect(join(FIXTURES, 'minimal'), 'hypervisor'), 'E_PLUGIN_ROLE', /network plugin/);
  });

  it('names the missing schema file of a plugin', () => {
    throwsCode(() => loader.inspect(join(FIXTURES, 'bad-schema')), 'E_PLUGIN_MANIFEST', /config schema/);
  });

  it('loads a plugin and hands register() its config', async () => {
    const rec = loader.inspect(join(FIXTURES, 'minimal'));
    const c = container.createChildContainer();
    await loader.load(rec, makePluginContext(c, rec.manifest.id, { queues: 3 }, nullLogger, { root: '/r', cache: '/c', packageDir: rec.packageDir }));
    assert.equal(rec.status, 'loaded');
    const factory = c.resolve<() => { config: { queues: number } }>(Symbol.for('cella.port.NetworkDriverFactory'));
    assert.equal(factory().config.queues, 3);
  });

  it('records a plugin that skips itself as skipped, with its reason', async () => {
    const rec = loader.inspect(join(FIXTURES, 'skips'));
    await loader.load(rec, ctxFor(rec));
    assert.equal(rec.status, 'skipped');
    assert.equal(rec.reason, 'needs SR-IOV hardware');
  });

  it('records a plugin whose register throws as failed', async () => {
    const rec = loader.inspect(join(FIXTURES, 'throws-in-register'));
    await loader.load(rec, ctxFor(rec));
    assert.equal(rec.status, 'failed');
    assert.match(String(rec.error?.cause), /boom in register/);
  });

  it('refuses a plugin whose code disagrees with its package.json', async () => {
    const rec = loader.inspect(join(FIXTURES, 'disagrees'));
    await loader.load(rec, ctxFor(rec));
    assert.equal(rec.status, 'failed');
    assert.equal(rec.error?.code, 'E_PLUGIN_MANIFEST');
    assert.match(rec.reason ?? '', /network\.other/);
  });

  it('lists installed plugins, a broken one as failed', () => {
    const all = new PluginLoader([FIXTURES]).discoverInstalled();
    const byDir = new Map(all.map((r) => [r.packageDir.split('/').pop(), r]));
    assert.equal(byDir.get('minimal')?.status, 'discovered');
    assert.equal(byDir.get('bad-api-version')?.status, 'failed');
    assert.equal(byDir.get('bad-api-version')?.error?.code, 'E_PLUGIN_API_VERSION');
  });
});
