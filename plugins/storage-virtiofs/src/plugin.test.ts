// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HostCheck, nullLogger, StorageDriverFactory, type PluginContext, type SandboxContext } from '@cella/core';
import type { Token } from '@cella/core/di';
import plugin from './plugin';
import { resolveVirtiofsConfig, type VirtiofsConfig } from './virtiofs-config';
import { VirtiofsHostChecks } from './host-checks';
import { VirtiofsStorageDriver } from './virtiofs-storage-driver';

const pkgDir = path.join(__dirname, '..');

describe('storage.virtiofs plugin', () => {
  it('declares the same manifest in package.json and in code', () => {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { cella: Record<string, unknown> };
    const { register: _register, ...code } = plugin;
    assert.deepEqual(code, pkg.cella);
  });

  it('has a closed config schema whose defaults are the ones the code fills in', () => {
    const schema = JSON.parse(readFileSync(path.join(pkgDir, 'schema', 'config.schema.json'), 'utf8')) as {
      additionalProperties: boolean; properties: Record<string, { default?: unknown }>;
    };
    assert.equal(schema.additionalProperties, false);
    const defaults = Object.fromEntries(Object.entries(schema.properties).filter(([, p]) => 'default' in p).map(([k, p]) => [k, p.default]));
    const { virtiofsd_path: unset, ...filled } = resolveVirtiofsConfig({});
    assert.equal(unset, undefined);
    assert.deepEqual(defaults, filled);
    assert.deepEqual(Object.keys(schema.properties).sort(), [...Object.keys(filled), 'virtiofsd_path'].sort());
  });

  it('binds a storage driver factory and contributes the virtiofsd host check', () => {
    const bound = new Map<symbol, unknown>();
    const contributed = new Map<symbol, unknown[]>();
    const ctx: PluginContext<VirtiofsConfig> = {
      id: 'storage.virtiofs', config: resolveVirtiofsConfig({}), logger: nullLogger,
      paths: { root: '/run/cella', cache: '/var/cache/cella', packageDir: pkgDir },
      bindValue<T>(t: Token<T>, v: T) { bound.set(t, v); },
      bindClass() { throw new Error('not used'); },
      contribute<T>(t: Token<T>, v: T) { contributed.set(t, [...(contributed.get(t) ?? []), v]); },
    };
    plugin.register(ctx);
    const factory = bound.get(StorageDriverFactory) as StorageDriverFactory;
    const sandbox = { id: 's', runDir: '/nonexistent/run' } as SandboxContext;
    const driver = factory(sandbox);
    assert.ok(driver instanceof VirtiofsStorageDriver);
    assert.equal(driver.sharedDir, '/nonexistent/run/shared');
    assert.ok(contributed.get(HostCheck)?.[0] instanceof VirtiofsHostChecks);
  });
});
