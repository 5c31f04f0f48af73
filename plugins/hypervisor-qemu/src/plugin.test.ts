// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HostCheck, HypervisorFactory, nullLogger, PluginSkipped, type PluginContext, type SandboxContext } from '@cella/core';
import type { Token } from '@cella/core/di';
import plugin from './plugin';
import { QEMU_CONFIG_DEFAULTS, resolveQemuConfig, type QemuConfig } from './qemu-config';
import { QemuHypervisor } from './qemu-hypervisor';

const pkgDir = path.join(__dirname, '..');
const schema = JSON.parse(readFileSync(path.join(pkgDir, 'schema', 'config.schema.json'), 'utf8')) as {
  additionalProperties: boolean;
  properties: Record<string, { default?: unknown; type: string; enum?: string[]; items?: { type: string }; description: string }>;
};

function fakeContext(): { ctx: PluginContext<QemuConfig>; bound: Map<symbol, unknown>; contributed: Map<symbol, unknown[]> } {
  const bound = new Map<symbol, unknown>();
  const contributed = new Map<symbol, unknown[]>();
  const ctx: PluginContext<QemuConfig> = {
    id: 'hypervisor.qemu', config: resolveQemuConfig(), logger: nullLogger,
    paths: { root: '/run/cella', cache: '/var/cache/cella', packageDir: pkgDir },
    bindValue<T>(t: Token<T>, v: T) { bound.set(t, v); },
    bindClass() { throw new Error('not used'); },
    contribute<T>(t: Token<T>, v: T) { contributed.set(t, [...(contributed.get(t) ?? []), v]); },
  };
  return { ctx, bound, contributed };
}

describe('hypervisor.qemu plugin', () => {
  it('declares the same manifest in package.json and in code', () => {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { cella: Record<string, unknown> };
    const { register: _register, ...code } = plugin;
    assert.deepEqual(code, pkg.cella);
  });

  it('is what the loader gets from require(package).default', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(pkgDir) as { default?: unknown };
    assert.equal(mod.default ?? mod, plugin);
  });

  it('has a closed config schema whose defaults are the ones the code fills in', () => {
    assert.equal(schema.additionalProperties, false);
    const defaults = Object.fromEntries(Object.entries(schema.properties).filter(([, p]) => 'default' in p).map(([k, p]) => [k, p.default]));
    assert.deepEqual(defaults, { ...QEMU_CONFIG_DEFAULTS });
    assert.deepEqual(Object.keys(schema.properties).sort(), [...Object.keys(QEMU_CONFIG_DEFAULTS), 'cpu_model', 'vm_template_dir'].sort());
  });

  it('documents every option in README.md with the table generated from the schema', () => {
    const readme = readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
    const rows = Object.entries(schema.properties).map(([key, p]) => {
      const type = p.enum ? p.enum.map((v) => JSON.stringify(v)).join(' \\| ') : p.type === 'array' ? `${p.items!.type}[]` : p.type;
      const def = p.default === undefined ? '(unset)' : `\`${JSON.stringify(p.default)}\``;
      return `| \`${key}\` | ${type} | ${def} | ${p.description} |`;
    });
    const table = ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
    assert.ok(readme.includes(table), `README.md should hold this table:\n${table}`);
  });

  it('binds a HypervisorFactory making QemuHypervisor instances and contributes host checks', () => {
    const { ctx, bound, contributed } = fakeContext();
    void plugin.register(ctx);
    const factory = bound.get(HypervisorFactory) as HypervisorFactory;
    const sandbox = { id: 's', stateDir: '/x', runDir: '/x/run', logger: nullLogger, vcpus: 1, memoryMiB: 256 } as unknown as SandboxContext;
    assert.ok(factory(sandbox) instanceof QemuHypervisor);
    assert.equal(contributed.get(HostCheck)?.length, 1);
  });

  it('skips itself on a platform other than linux-x64', () => {
    const real = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    try {
      assert.throws(() => plugin.register(fakeContext().ctx), (err: unknown) => err instanceof PluginSkipped && /darwin/.test(err.reason));
    } finally {
      Object.defineProperty(process, 'platform', real);
    }
  });
});
