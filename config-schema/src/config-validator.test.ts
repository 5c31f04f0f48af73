// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError, type CellaError } from '@cella/core/errors';
import { CORE_CONFIG_SCHEMA, type CellaConfig } from './core-schema';
import { loadRawConfig, type RawConfig } from './config-loader';
import type { ConfigProblem } from './config-problems';
import { checkPluginSchema, composeSchema, configValidator, validateConfig } from './config-validator';

const QEMU_FRAGMENT = {
  type: 'object',
  additionalProperties: false,
  properties: {
    accel: { type: 'string', enum: ['kvm', 'tcg'], default: 'kvm' },
    machine: { type: 'string', default: 'q35' },
  },
};

function raw(data: Record<string, unknown>, file = '/cfg/config.toml'): RawConfig {
  const origins = new Map<string, string>();
  const walk = (v: unknown, p: string): void => {
    origins.set(p, file);
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, `${p}/${k}`);
  };
  for (const [k, v] of Object.entries(data)) walk(v, `/${k}`);
  return { file, source: 'flag', dropIns: [], data, origins };
}

function invalid(input: RawConfig, schema: object = composeSchema({ 'hypervisor.qemu': QEMU_FRAGMENT })): CellaError {
  try {
    validateConfig(input, schema);
  } catch (err) {
    assert.ok(isCellaError(err, 'E_CONFIG_INVALID'), String(err));
    return err;
  }
  assert.fail('config was accepted');
}

const problems = (err: CellaError): ConfigProblem[] => err.details.problems as ConfigProblem[];

describe('validateConfig', () => {
  const EXPECTED_DEFAULTS: CellaConfig = {
    version: 1,
    runtime: { root: '/run/cella', cache_dir: '/var/cache/cella', log_level: 'info', plugin_dirs: [] },
    sandbox: { default_vcpus: 1, default_memory_mib: 512, boot_timeout_ms: 60000 },
    hypervisor: { plugin: '@cella/hypervisor-qemu' },
    agent: { plugin: '@cella/agent' },
    storage: { plugin: '@cella/storage-block' },
    network: { plugin: '@cella/network-tap' },
    plugins: {},
  };

  it('accepts an empty config and fills in every default', () => {
    assert.deepEqual(validateConfig({ source: 'default', dropIns: [], data: {}, origins: new Map() }, CORE_CONFIG_SCHEMA), EXPECTED_DEFAULTS);
    assert.deepEqual(validateConfig(raw({}), composeSchema({})), EXPECTED_DEFAULTS);
  });

  it('rejects default_vcpus = "two", naming file, key path, expected type and value', () => {
    const err = invalid(raw({ version: 1, sandbox: { default_vcpus: 'two' } }, '/etc/x/config.toml'));
    assert.ok(err.message.startsWith('Config is invalid'));
    assert.deepEqual(problems(err), [
      { file: '/etc/x/config.toml', path: 'sandbox.default_vcpus', problem: 'must be integer', expected: 'integer', value: 'two' },
    ]);
    assert.ok(err.message.split('\n').includes('/etc/x/config.toml: sandbox.default_vcpus: must be integer (got "two")'), err.message);
  });

  it('does not coerce a numeric string to a number', () => {
    assert.equal(problems(invalid(raw({ sandbox: { default_vcpus: '2' } })))[0].problem, 'must be integer');
  });

  it('reports an unknown key with its own path and suggests the known key', () => {
    const err = invalid(raw({ sandbox: { default_vcpu: 2 } }));
    assert.deepEqual(problems(err), [
      { file: '/cfg/config.toml', path: 'sandbox.default_vcpu', problem: 'unknown key', value: 2, suggestion: 'sandbox.default_vcpus' },
    ]);
    assert.match(err.message, /^\/cfg\/config\.toml: sandbox\.default_vcpu: unknown key \(got 2\)$/m);
    assert.match(err.hint ?? '', /sandbox\.default_vcpus/);
  });

  it('lists the allowed values of an enum', () => {
    const [p] = problems(invalid(raw({ runtime: { log_level: 'loud' } })));
    assert.equal(p.path, 'runtime.log_level');
    assert.deepEqual(p.allowed, ['debug', 'info', 'warn', 'error']);
    assert.equal(p.problem, 'must be one of "debug", "info", "warn", "error"');
  });

  it('states the range of an out-of-range integer and the required version', () => {
    const ps = problems(invalid(raw({ version: 2, sandbox: { default_memory_mib: 64 } })));
    assert.deepEqual(ps.map((p) => [p.path, p.problem]), [
      ['version', 'must be 1'],
      ['sandbox.default_memory_mib', 'must be from 128 to 1048576'],
    ]);
  });

  it('reports every problem at once, one message line each', () => {
    const err = invalid(raw({ runtime: { root: 'relative', plugin_dirs: ['/ok', 'rel'] }, hypervisor: { plugin: 'Bad Name' }, extra: true }));
    assert.deepEqual(problems(err).map((p) => `${p.path}: ${p.problem}`), [
      'extra: unknown key',
      'runtime.root: must be an absolute path',
      'runtime.plugin_dirs[1]: must be an absolute path',
      'hypervisor.plugin: must be a package name or an absolute path',
    ]);
    assert.equal(err.message.split('\n').length, 1 + 4);
  });

  it('refuses an options section for a plugin id that is not loaded', () => {
    const [p] = problems(invalid(raw({ plugins: { 'hypervisor.qmeu': { accel: 'tcg' } } })));
    assert.equal(p.path, 'plugins."hypervisor.qmeu"');
    assert.equal(p.problem, 'unknown key');
    assert.equal(p.suggestion, 'plugins."hypervisor.qemu"');
  });

  it('leaves plugin sections to the composed schema when validating with the core schema alone', () => {
    const cfg = validateConfig(raw({ plugins: { 'anything.at-all': { x: 1 } } }), CORE_CONFIG_SCHEMA);
    assert.deepEqual(cfg.plugins, { 'anything.at-all': { x: 1 } });
  });

  it("fills in a plugin's option defaults, also when its section is absent", () => {
    const schema = composeSchema({ 'hypervisor.qemu': QEMU_FRAGMENT });
    assert.deepEqual(validateConfig(raw({}), schema).plugins, { 'hypervisor.qemu': { accel: 'kvm', machine: 'q35' } });
    const cfg = validateConfig(raw({ plugins: { 'hypervisor.qemu': { accel: 'tcg' } } }), schema);
    assert.deepEqual(cfg.plugins['hypervisor.qemu'], { accel: 'tcg', machine: 'q35' });
  });

  it('reports a bad plugin option with a quoted plugin id in the key path', () => {
    const [p] = problems(invalid(raw({ plugins: { 'hypervisor.qemu': { accel: 'hvf' } } })));
    assert.equal(p.path, 'plugins."hypervisor.qemu".accel');
    assert.deepEqual(p.allowed, ['kvm', 'tcg']);
  });

  it('rejects unknown keys in a plugin section whose fragment does not say otherwise', () => {
    const schema = composeSchema({ 'agent.x': { type: 'object', properties: { port: { type: 'integer', default: 1024 } } } });
    const [p] = problems(invalid(raw({ plugins: { 'agent.x': { prot: 1 } } }), schema));
    assert.deepEqual([p.path, p.problem, p.suggestion], ['plugins."agent.x".prot', 'unknown key', 'plugins."agent.x".port']);
  });

  it("resolves a fragment's local $ref inside the fragment", () => {
    const schema = composeSchema({
      'storage.y': {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { size: { $ref: '#/definitions/size' } },
        definitions: { size: { type: 'integer', minimum: 1 } },
      },
    });
    const [p] = problems(invalid(raw({ plugins: { 'storage.y': { size: 0 } } }), schema));
    assert.deepEqual([p.path, p.problem], ['plugins."storage.y".size', 'must be >= 1']);
  });

  it('names the plugin whose schema fragment does not compile', () => {
    const schema = composeSchema({ 'network.bad': { type: 'object', properties: { a: { type: 'integr' } } } });
    assert.throws(() => validateConfig(raw({}), schema), (err: unknown) => isCellaError(err, 'E_PLUGIN_MANIFEST') && err.details.plugin === 'network.bad');
    assert.throws(() => checkPluginSchema('network.worse', { type: 'object', properties: { a: { minimum: 'x' } } }), (err: unknown) =>
      isCellaError(err, 'E_PLUGIN_MANIFEST') && err.details.plugin === 'network.worse');
    assert.doesNotThrow(() => checkPluginSchema('hypervisor.qemu', QEMU_FRAGMENT));
  });

  it('does not change the raw config it is given', () => {
    const input = raw({ sandbox: { default_vcpus: 2 }, plugins: { 'hypervisor.qemu': {} } });
    const before = structuredClone(input.data);
    const cfg = validateConfig(input, composeSchema({ 'hypervisor.qemu': QEMU_FRAGMENT }));
    assert.deepEqual(input.data, before);
    assert.equal(cfg.sandbox.default_vcpus, 2);
    assert.notEqual(cfg.sandbox as unknown, input.data.sandbox);
    invalid(raw({ sandbox: { default_vcpus: 'x' } }));
    assert.deepEqual(input.data, before);
  });

  it('does not change the core schema when composing', () => {
    const before = JSON.stringify(CORE_CONFIG_SCHEMA);
    composeSchema({ 'hypervisor.qemu': QEMU_FRAGMENT });
    assert.equal(JSON.stringify(CORE_CONFIG_SCHEMA), before);
  });

  it('compiles a schema once and reuses the validator', () => {
    const schema = composeSchema({});
    assert.equal(configValidator(schema), configValidator(schema));
    assert.notEqual(configValidator(composeSchema({})), configValidator(schema));
  });

  describe('with files on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cella-validate-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('blames the drop-in that set a bad value, not the main file', async () => {
      const main = join(dir, 'config.toml');
      await writeFile(main, 'version = 1\n[sandbox]\ndefault_vcpus = 2\nboot_timeout_ms = 5000\n');
      await mkdir(join(dir, 'config.d'));
      const dropIn = join(dir, 'config.d', '60-vcpus.toml');
      await writeFile(dropIn, '[sandbox]\ndefault_vcpus = 0\n');
      const err = invalid(await loadRawConfig({ configPath: main, env: {} }));
      assert.deepEqual(problems(err).map((p) => [p.file, p.path, p.value]), [[dropIn, 'sandbox.default_vcpus', 0]]);
      assert.ok(err.message.includes(`${dropIn}: sandbox.default_vcpus: must be from 1 to 256 (got 0)`), err.message);
    });

    it('blames built-in defaults when no file set the value', async () => {
      const schema = composeSchema({ 'agent.z': { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } });
      const err = invalid(await loadRawConfig({ env: {}, defaultPath: join(dir, 'absent.toml') }), schema);
      assert.deepEqual(problems(err), [{ file: 'built-in defaults', path: 'plugins."agent.z".token', problem: 'missing required key' }]);
    });
  });
});
