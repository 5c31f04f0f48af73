// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { StateStore, type SandboxState } from '@cella/core';
import { cella, tempDir } from '../helpers/cella';

/**
 * `state` and `list` with `--root` skip oclif (cli/src/fast-path.ts). Whatever path answers, a user must
 * get the same bytes and exit codes as from the full CLI, which runs when the root comes from the config.
 */
describe('state and list fast path (CLI)', function () {
  this.timeout(60_000);
  let root: string;
  let config: string;
  before(async () => {
    root = tempDir('fast');
    config = join(tempDir('fastcfg'), 'config.toml');
    await fs.writeFile(config, `version = 1\n[runtime]\nroot = "${root}"\n`);
    const store = new StateStore(root);
    for (const [id, status, pid] of [['a1', 'running', process.pid], ['b2', 'created', 999_999]] as const) {
      await store.create(id);
      const state: SandboxState = {
        version: 1, id, ociVersion: '1.0.2', bundle: `/bundles/${id}`, rootfs: `/bundles/${id}/rootfs`, status,
        createdAt: '2026-11-26T01:02:03.000Z', owner: { pid }, annotations: { k: 'v' },
      };
      await store.write(id, state);
    }
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  const both = async (args: string[]): Promise<void> => {
    const fast = await cella(['--root', root, '--log-format', 'json', ...args], { env: { CELLA_CONFIG: config } });
    const full = await cella([...args], { env: { CELLA_CONFIG: config } });
    assert.equal(fast.code, full.code, `${args.join(' ')}: exit codes\n${fast.stderr}\n${full.stderr}`);
    assert.equal(fast.stdout, full.stdout, `${args.join(' ')}: stdout`);
  };

  it('prints the same state JSON, and a dead owner shows as stopped with pid 0', async () => {
    await both(['state', 'a1']);
    await both(['state', 'b2']);
    const r = await cella(['--root', root, 'state', 'b2']);
    assert.equal(JSON.parse(r.stdout).status, 'stopped');
    assert.equal(JSON.parse(r.stdout).pid, 0);
  });

  it('prints the same list as a table, as JSON and quietly', async () => {
    for (const flags of [[], ['--format', 'json'], ['-f', 'json'], ['-q'], ['--format=table', '--quiet']]) await both(['list', ...flags]);
    const r = await cella(['--root', root, 'list', '-q']);
    assert.equal(r.stdout, 'a1\nb2\n');
  });

  it('leaves errors to the full CLI: an unknown id and a bad format get its messages and exit 1', async () => {
    const missing = await cella(['--root', root, 'state', 'zz']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /container does not exist/);
    const bad = await cella(['--root', root, 'list', '--format', 'yaml']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /yaml/);
  });

  it('config show prints the same TOML and JSON as the full CLI, and a bad config fails the same way', async () => {
    const bad = join(tempDir('fastbad'), 'bad.toml');
    await fs.writeFile(bad, 'version = 1\n[sandbox]\ndefault_vcpus = "two"\n');
    for (const args of [['config', 'show'], ['config', 'show', '--json'], ['config', 'show', '--config', config], ['config', 'show', '--config', bad]]) {
      // `--debug` is a flag the fast path does not take: the full CLI answers.
      const fast = await cella(args);
      const full = await cella([...args, '--debug']);
      assert.equal(fast.code, full.code, `${args.join(' ')}: exit codes\n${fast.stderr}\n${full.stderr}`);
      assert.equal(fast.stdout, full.stdout, `${args.join(' ')}: stdout`);
      if (args.includes(bad)) assert.match(fast.stderr, /sandbox\.default_vcpus: must be integer \(got "two"\)/);
    }
  });
});
