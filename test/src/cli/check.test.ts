// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cella, makeBundle, tempDir } from '../helpers/cella';

interface Check { name: string; status: string; detail: string }

/** `cella check` tells what `cella run` would find about the guest image (no VM is booted). */
describe('cella check: the guest image line', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  beforeEach(async () => {
    dir = tempDir('check');
    // A config naming a kernel of its own: the built image (made from Debian's kernel package) no longer matches.
    const ls = await cella(['image', 'ls', '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    const images = JSON.parse(ls.stdout) as Array<{ current: boolean; files: Record<string, string> }> | { images: Array<{ current: boolean; files: Record<string, string> }> };
    const current = (Array.isArray(images) ? images : images.images).find((i) => i.current);
    assert.ok(current, 'an image is built (set-up builds it)');
    await fs.copyFile(current.files.kernel!, join(dir, 'vmlinuz'));
    await fs.mkdir(join(dir, 'modules'));
    config = join(dir, 'config.toml');
    await fs.writeFile(config, `version = 1\n[plugins."agent.cella"]\nkernel = { path = "${join(dir, 'vmlinuz')}", modules_dir = "${join(dir, 'modules')}" }\n`);
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const imageLine = async (): Promise<Check | undefined> => {
    const r = await cella(['check', '--json', '--config', config]);
    return (JSON.parse(r.stdout).checks as Check[]).find((c) => c.name === 'guest image');
  };

  it('fails the line, naming what is wrong, when the configured kernel cannot be used', async () => {
    const line = await imageLine();
    assert.equal(line?.status, 'fail');
    assert.match(line?.detail ?? '', /modules\.dep/);
  });

  it('fails the line for an image older than its inputs, as `run` refuses it', async () => {
    await fs.writeFile(join(dir, 'modules', 'modules.dep'), '');
    const line = await imageLine();
    assert.equal(line?.status, 'fail');
    assert.match(line?.detail ?? '', /older than its inputs: run `cella image build`/);
    const run = await cella(['run', '--config', config, '--root', join(dir, 'root'), '--bundle', await makeBundle(['true']), 'stale1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /E_IMAGE_STALE/);
  });
});

describe('cella check: the OCI runtime-spec line', function () {
  this.timeout(60_000);
  it('says which ociVersion values bundles may have (runc\'s 1.0.2-dev through the current 1.3.x)', async () => {
    const r = await cella(['check', '--json']);
    const line = (JSON.parse(r.stdout).checks as Check[]).find((c) => c.name === 'OCI runtime-spec');
    assert.equal(line?.status, 'pass');
    assert.match(line?.detail ?? '', /ociVersion 1\.0\.0 to 1\.3\.x/);
  });
});
