// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { loadRawConfig } from './config-loader';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, unknown> & { message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isCellaError(err, code), `expected ${code}, got ${String(err)}`);
    return Object.assign({ message: err.message }, err.details);
  }
  assert.fail(`expected ${code}, but it resolved`);
}

describe('loadRawConfig', () => {
  let dir: string;
  let etc: string;
  const level = (lvl: string): string => `version = 1\n[runtime]\nlog_level = "${lvl}"\n`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cella-config-'));
    etc = join(dir, 'etc', 'config.toml');
    await mkdir(join(dir, 'etc'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('which main file', () => {
    beforeEach(async () => {
      await writeFile(join(dir, 'flag.toml'), level('debug'));
      await writeFile(join(dir, 'env.json'), JSON.stringify({ runtime: { log_level: 'warn' } }));
      await writeFile(etc, level('error'));
    });

    it('prefers the --config flag over CELLA_CONFIG and the default path', async () => {
      const raw = await loadRawConfig({ configPath: join(dir, 'flag.toml'), env: { CELLA_CONFIG: join(dir, 'env.json') }, defaultPath: etc });
      assert.equal(raw.file, join(dir, 'flag.toml'));
      assert.equal(raw.source, 'flag');
      assert.deepEqual(raw.data, { version: 1, runtime: { log_level: 'debug' } });
    });

    it('uses CELLA_CONFIG (a .json file) over the default path when no flag is given', async () => {
      const raw = await loadRawConfig({ env: { CELLA_CONFIG: join(dir, 'env.json') }, defaultPath: etc });
      assert.equal(raw.file, join(dir, 'env.json'));
      assert.equal(raw.source, 'CELLA_CONFIG');
      assert.deepEqual(raw.data, { runtime: { log_level: 'warn' } });
    });

    it('uses the default path when it exists and nothing else names a file', async () => {
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.equal(raw.file, etc);
      assert.equal(raw.origins.get('/runtime/log_level'), etc);
    });

    it('runs on built-in defaults when the default path does not exist', async () => {
      await rm(etc);
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.equal(raw.file, undefined);
      assert.deepEqual(raw.data, {});
      assert.deepEqual(raw.dropIns, []);
      assert.equal(raw.origins.size, 0);
    });

    it('resolves a relative --config path against the working directory', async () => {
      const raw = await loadRawConfig({ configPath: relative(process.cwd(), join(dir, 'flag.toml')), env: {} });
      assert.equal(raw.file, join(dir, 'flag.toml'));
    });
  });

  describe('errors', () => {
    it('names the missing file and says it came from --config', async () => {
      const missing = join(dir, 'nope.toml');
      const e = await rejectsWith(loadRawConfig({ configPath: missing, env: {}, defaultPath: etc }), 'E_CONFIG_NOT_FOUND');
      assert.equal(e.file, missing);
      assert.equal(e.source, 'flag');
      assert.match(e.message, /nope\.toml/);
      assert.match(e.message, /--config/);
    });

    it('names the missing file and says it came from CELLA_CONFIG', async () => {
      const missing = join(dir, 'gone.json');
      await writeFile(etc, level('info')); // must not be used as a fallback
      const e = await rejectsWith(loadRawConfig({ env: { CELLA_CONFIG: missing }, defaultPath: etc }), 'E_CONFIG_NOT_FOUND');
      assert.equal(e.file, missing);
      assert.equal(e.source, 'CELLA_CONFIG');
      assert.match(e.message, /CELLA_CONFIG/);
    });

    it('refuses a file whose extension is neither .toml nor .json', async () => {
      const yaml = join(dir, 'config.yaml');
      await writeFile(yaml, 'version: 1\n');
      const e = await rejectsWith(loadRawConfig({ configPath: yaml, env: {} }), 'E_CONFIG_PARSE');
      assert.equal(e.file, yaml);
      assert.deepEqual(e.allowed, ['.toml', '.json']);
    });

    it('reports a TOML syntax error with file, line and column', async () => {
      const file = join(dir, 'bad.toml');
      await writeFile(file, 'version = 1\n[sandbox]\ndefault_vcpus = = 2\n');
      const e = await rejectsWith(loadRawConfig({ configPath: file, env: {} }), 'E_CONFIG_PARSE');
      assert.equal(e.file, file);
      assert.equal(e.line, 3);
      assert.equal(e.column, 17);
      assert.match(e.message, /bad\.toml.*line 3, column 17/);
    });

    it('reports a JSON syntax error with file, line and column, also where V8 gives no position', async () => {
      const file = join(dir, 'bad.json');
      await writeFile(file, '{\n  "runtime": {\n    "log_level": tru\n  }\n}\n');
      const e = await rejectsWith(loadRawConfig({ configPath: file, env: {} }), 'E_CONFIG_PARSE');
      assert.equal(e.file, file);
      assert.deepEqual([e.line, e.column], [3, 18]);
      await writeFile(file, '{\n  "version": 1,\n}\n');
      const trailing = await rejectsWith(loadRawConfig({ configPath: file, env: {} }), 'E_CONFIG_PARSE');
      assert.deepEqual([trailing.line, trailing.column], [3, 1]);
    });

    it('refuses a JSON file whose top level is not an object', async () => {
      const file = join(dir, 'list.json');
      await writeFile(file, '[1, 2]');
      const e = await rejectsWith(loadRawConfig({ configPath: file, env: {} }), 'E_CONFIG_PARSE');
      assert.equal(e.file, file);
    });

    it('names the drop-in that has the syntax error', async () => {
      await writeFile(etc, level('info'));
      await mkdir(join(dir, 'etc', 'config.d'));
      const bad = join(dir, 'etc', 'config.d', '50-bad.toml');
      await writeFile(bad, '[runtime\n');
      const e = await rejectsWith(loadRawConfig({ env: {}, defaultPath: etc }), 'E_CONFIG_PARSE');
      assert.equal(e.file, bad);
      assert.equal(e.line, 1);
    });
  });

  describe('drop-ins', () => {
    let dropDir: string;
    beforeEach(async () => {
      dropDir = join(dir, 'etc', 'config.d');
      await mkdir(dropDir);
      await writeFile(etc, 'version = 1\n[runtime]\nroot = "/main"\nplugin_dirs = ["/a", "/b"]\n[sandbox]\ndefault_vcpus = 2\n');
    });

    it('applies config.d files in file-name order, later files winning', async () => {
      await writeFile(join(dropDir, '20-b.json'), JSON.stringify({ sandbox: { default_vcpus: 4 } }));
      await writeFile(join(dropDir, '10-a.toml'), '[sandbox]\ndefault_vcpus = 3\ndefault_memory_mib = 1024\n');
      await writeFile(join(dropDir, '30-c.toml'), '[runtime]\nlog_level = "debug"\n');
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.deepEqual(raw.dropIns, ['10-a.toml', '20-b.json', '30-c.toml'].map((n) => join(dropDir, n)));
      assert.deepEqual(raw.data.sandbox, { default_vcpus: 4, default_memory_mib: 1024 });
      assert.equal(raw.origins.get('/sandbox/default_vcpus'), join(dropDir, '20-b.json'));
      assert.equal(raw.origins.get('/sandbox/default_memory_mib'), join(dropDir, '10-a.toml'));
    });

    it('deep-merges tables but replaces arrays', async () => {
      await writeFile(join(dropDir, '50-dirs.toml'), '[runtime]\nplugin_dirs = ["/c"]\n');
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.deepEqual(raw.data.runtime, { root: '/main', plugin_dirs: ['/c'] });
      assert.equal(raw.origins.get('/runtime/root'), etc);
      assert.equal(raw.origins.get('/runtime/plugin_dirs'), join(dropDir, '50-dirs.toml'));
    });

    it('skips files that are not .toml or .json and folders named like config files', async () => {
      await writeFile(join(dropDir, 'README'), 'not config');
      await writeFile(join(dropDir, '10-x.toml.rpmsave'), '[[[');
      await mkdir(join(dropDir, '20-dir.toml'));
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.deepEqual(raw.dropIns, []);
    });

    it('reads the drop-in folder beside a file named by --config, not beside the default path', async () => {
      await writeFile(join(dropDir, '10-etc.toml'), '[sandbox]\ndefault_vcpus = 9\n');
      await mkdir(join(dir, 'other', 'config.d'), { recursive: true });
      await writeFile(join(dir, 'other', 'c.json'), '{}');
      await writeFile(join(dir, 'other', 'config.d', '1.json'), '{"sandbox": {"default_vcpus": 5}}');
      const raw = await loadRawConfig({ configPath: join(dir, 'other', 'c.json'), env: {}, defaultPath: etc });
      assert.deepEqual(raw.data, { sandbox: { default_vcpus: 5 } });
    });

    it('applies drop-ins beside the default path even when the main file is absent', async () => {
      await rm(etc);
      await writeFile(join(dropDir, '10-only.toml'), '[sandbox]\ndefault_vcpus = 7\n');
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      assert.equal(raw.file, undefined);
      assert.deepEqual(raw.data, { sandbox: { default_vcpus: 7 } });
    });

    it('keeps a "__proto__" key as a plain key instead of changing the prototype', async () => {
      await writeFile(join(dropDir, '10-proto.json'), '{"sandbox": {"__proto__": {"polluted": true}}}');
      const raw = await loadRawConfig({ env: {}, defaultPath: etc });
      const sandbox = raw.data.sandbox as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(sandbox), Object.prototype);
      assert.ok(Object.keys(sandbox).includes('__proto__'));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });
});
