// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cella, REPO, tempDir } from '../helpers/cella';

const FIXTURES = join(REPO, 'test', 'fixtures', 'plugins');

/** The CLI as a user drives it: config errors, plugin errors, JSON output. No VM is booted. */
describe('cella config and plugins (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = tempDir('cfg'); });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  async function configFile(text: string, name = 'config.toml'): Promise<string> {
    const file = join(dir, name);
    await fs.writeFile(file, text);
    return file;
  }

  it('validates a good config and says which files it read', async () => {
    const file = await configFile('version = 1\n[sandbox]\ndefault_vcpus = 2\n');
    await fs.mkdir(join(dir, 'config.d'));
    await fs.writeFile(join(dir, 'config.d', '10-mem.toml'), '[sandbox]\ndefault_memory_mib = 1024\n');
    const r = await cella(['config', 'validate', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { valid: true, files: [file, join(dir, 'config.d', '10-mem.toml')] });
    const show = await cella(['config', 'show', '--json', '--config', file]);
    const cfg = JSON.parse(show.stdout);
    assert.equal(cfg.sandbox.default_vcpus, 2);
    assert.equal(cfg.sandbox.default_memory_mib, 1024);
    assert.equal(cfg.plugins['hypervisor.qemu'].accel, 'auto');
  });

  it('names an unknown key with its path and file', async () => {
    const file = await configFile('version = 1\n[sandbox]\ndefault_vcpu = 2\n');
    const r = await cella(['config', 'validate', file]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /sandbox\.default_vcpu: unknown key/);
  });

  it('lists the allowed values of a plugin option', async () => {
    const file = await configFile('version = 1\n[plugins."hypervisor.qemu"]\naccel = "fast"\n');
    const r = await cella(['config', 'validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plugins\."hypervisor\.qemu"\.accel/);
    assert.match(r.stderr, /auto.*kvm.*tcg/);
  });

  it('names a selected plugin that is not installed', async () => {
    const file = await configFile('version = 1\n[hypervisor]\nplugin = "@nope/cella-hypervisor-missing"\n');
    const r = await cella(['config', 'validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Plugin "@nope\/cella-hypervisor-missing" is not installed/);
    assert.match(r.stderr, /E_PLUGIN_NOT_FOUND/);
  });

  it('refuses a plugin built for another plugin API, naming both versions', async () => {
    const file = await configFile(`version = 1\n[runtime]\nplugin_dirs = ["${FIXTURES}"]\n[network]\nplugin = "bad-api-version"\n`);
    const r = await cella(['config', 'validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs plugin API \^9\.0\.0, but this Cella provides 1\.0\.0/);
    assert.match(r.stderr, /E_PLUGIN_API_VERSION/);
  });

  it('validates a vendor plugin\'s options against its own schema', async () => {
    const file = await configFile(`version = 1\n[runtime]\nplugin_dirs = ["${FIXTURES}"]\n[network]\nplugin = "minimal"\n[plugins."network.minimal"]\nqueues = 0\n`);
    const r = await cella(['config', 'validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plugins\."network\.minimal"\.queues/);
  });

  it('lists plugins as loaded, skipped or failed with reasons (--json)', async () => {
    const file = await configFile(`version = 1\n[runtime]\nplugin_dirs = ["${FIXTURES}"]\n`);
    const r = await cella(['plugins', 'list', '--json', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout).plugins as Array<{ id: string; status: string; role: string | null; reason: string | null }>;
    const by = new Map(rows.map((p) => [p.id, p]));
    assert.equal(by.get('hypervisor.qemu')?.status, 'loaded');
    assert.equal(by.get('hypervisor.qemu')?.role, 'hypervisor');
    assert.equal(by.get('network.skips')?.status, 'skipped');
    assert.equal(by.get('network.skips')?.reason, 'needs SR-IOV hardware');
    assert.equal(by.get('network.throws')?.status, 'failed');
    assert.ok(rows.some((p) => p.status === 'failed' && /\^9\.0\.0/.test(p.reason ?? '')));
  });

  it('prints the version', async () => {
    const r = await cella(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^@cella\/cli\/\d+\.\d+\.\d+ linux-x64 node-v\d+/);
  });

  it('shows the environment as JSON: versions, config file, chosen plugins', async () => {
    const file = await configFile('version = 1\n');
    const r = await cella(['env', '--json', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    const env = JSON.parse(r.stdout);
    assert.equal(env.config.file, file);
    assert.equal(env.plugins.hypervisor.id, 'hypervisor.qemu');
    assert.equal(env.plugins.agent.id, 'agent.cella');
    assert.equal(env.hypervisor.binary !== undefined || env.hypervisor.path !== undefined, true);
  });
});
