// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { composeSchema, validateConfig } from './config-validator';
import { formatConfig } from './config-format';
import type { CellaConfig } from './core-schema';

describe('formatConfig', () => {
  const schema = composeSchema({
    'hypervisor.qemu': { type: 'object', properties: { accel: { type: 'string', default: 'kvm' } } },
    'agent.vsock': { type: 'object', properties: { port: { type: 'integer', default: 1024 } } },
  });
  // Keys given out of order on purpose: the output must follow the schema order.
  const cfg: CellaConfig = validateConfig(
    {
      source: 'flag',
      dropIns: [],
      origins: new Map(),
      data: { plugins: { 'hypervisor.qemu': { accel: 'tcg' } }, sandbox: { default_vcpus: 2 }, runtime: { plugin_dirs: ['/opt/p'] } },
    },
    schema,
  );

  it('prints TOML that parses back to the same config', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(parse(formatConfig(cfg, 'toml')))), cfg);
  });

  it('prints JSON that parses back to the same config', () => {
    const text = formatConfig(cfg, 'json');
    assert.deepEqual(JSON.parse(text), cfg);
    assert.ok(text.endsWith('}\n'));
  });

  it('puts tables in schema order and plugin sections sorted by quoted id', () => {
    const text = formatConfig(cfg, 'toml');
    const headers = text.split('\n').filter((l) => l.startsWith('['));
    assert.deepEqual(headers, [
      '[runtime]', '[sandbox]', '[hypervisor]', '[agent]', '[storage]', '[network]',
      '[plugins."agent.vsock"]', '[plugins."hypervisor.qemu"]',
    ]);
    assert.ok(text.startsWith('version = 1\n'));
    assert.deepEqual(Object.keys(JSON.parse(formatConfig(cfg, 'json'))), [
      'version', 'runtime', 'sandbox', 'hypervisor', 'agent', 'storage', 'network', 'plugins',
    ]);
  });
});
