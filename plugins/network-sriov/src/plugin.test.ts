// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HostCheck, NetworkDriverFactory, UndoHandler, nullLogger, type PluginContext, type SandboxContext } from '@cella/core';
import type { Token } from '@cella/core/di';
import plugin from './plugin';
import { SriovBindingUndo } from './sriov-binding-undo';
import { resolveSriovConfig, type SriovConfig } from './sriov-config';
import { SriovNetworkDriver } from './sriov-network-driver';
import { VfioHostCheck } from './vfio-host-check';

const pkgDir = path.join(__dirname, '..');

describe('network.sriov plugin (no sysfs touched; fake sysfs elsewhere: no SR-IOV hardware on this machine)', () => {
  it('declares the same manifest in package.json and in code', () => {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { cella: Record<string, unknown>; keywords: string[] };
    const { register: _register, ...code } = plugin;
    assert.deepEqual(code, pkg.cella);
    assert.ok(pkg.keywords.includes('cella-plugin'));
  });

  it('has a closed config schema whose defaults are the ones the code fills in', () => {
    const schema = JSON.parse(readFileSync(path.join(pkgDir, 'schema', 'config.schema.json'), 'utf8')) as {
      additionalProperties: boolean; properties: Record<string, { default?: unknown }>;
    };
    assert.equal(schema.additionalProperties, false);
    const defaults = Object.fromEntries(Object.entries(schema.properties).map(([k, p]) => [k, p.default]));
    assert.deepEqual(defaults, resolveSriovConfig({}));
  });

  it('binds a network driver factory and contributes the vfio host check and the sriov-binding undo handler', () => {
    const bound = new Map<symbol, unknown>();
    const contributed = new Map<symbol, unknown[]>();
    const ctx: PluginContext<SriovConfig> = {
      id: 'network.sriov', config: resolveSriovConfig({}), logger: nullLogger,
      paths: { root: '/run/cella', cache: '/var/cache/cella', packageDir: pkgDir },
      bindValue<T>(t: Token<T>, v: T) { bound.set(t, v); },
      bindClass() { throw new Error('not used'); },
      contribute<T>(t: Token<T>, v: T) { contributed.set(t, [...(contributed.get(t) ?? []), v]); },
    };
    plugin.register(ctx);
    const factory = bound.get(NetworkDriverFactory) as NetworkDriverFactory;
    assert.ok(factory({ id: 's', logger: nullLogger } as unknown as SandboxContext) instanceof SriovNetworkDriver);
    assert.ok(contributed.get(HostCheck)?.[0] instanceof VfioHostCheck);
    const undo = contributed.get(UndoHandler)?.[0];
    assert.ok(undo instanceof SriovBindingUndo);
    assert.equal(undo.type, 'sriov-binding');
  });
});
