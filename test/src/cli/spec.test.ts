// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, promises as fs, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELLA, cella, tempDir } from '../helpers/cella';

interface Run { code: number | null; stdout: string; stderr: string }

/**
 * Run a command in `cwd`, optionally as another uid/gid (setpriv, needs root). Another user gets
 * the bare environment a supervisor gives (PATH only: no HOME, no SHELL, no passwd entry).
 */
function exec(cmd: string, args: string[], cwd?: string, asUser?: number): Run {
  const [file, argv] = asUser === undefined ? [cmd, args] : ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', cmd, ...args]];
  const env = asUser === undefined ? process.env : { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const r = spawnSync(file, argv, { cwd, env, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const runc = (args: string[], cwd?: string, asUser?: number): Run => exec('runc', ['--log-format', 'json', ...args], cwd, asUser);
const cellaIn = (args: string[], cwd?: string, asUser?: number): Run => exec(process.execPath, [CELLA, ...args], cwd, asUser);
const runcError = (r: Run): string => (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { msg: string }).msg;

/** `cella spec` against `runc spec`: same file, same bytes, same refusals. */
describe('cella spec (CLI, differential against runc spec)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const dir = (): string => { const d = tempDir('spec'); dirs.push(d); return d; };
  before(function () { if (exec('runc', ['--version']).code !== 0) this.skip(); });
  after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

  /** Both tools write into fresh folders; the files must be equal byte for byte, mode included. */
  function compare(flags: string[], asUser?: number): void {
    const [ours, theirs] = [dir(), dir()];
    if (asUser !== undefined) { chmodSync(ours, 0o777); chmodSync(theirs, 0o777); }
    const c = cellaIn(['spec', ...flags, '--bundle', ours], undefined, asUser);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, '');
    const r = runc(['spec', ...flags, '--bundle', theirs], undefined, asUser);
    assert.equal(r.code, 0, r.stderr);
    const [a, b] = [join(ours, 'config.json'), join(theirs, 'config.json')];
    assert.deepEqual(JSON.parse(readFileSync(a, 'utf8')), JSON.parse(readFileSync(b, 'utf8')));
    assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
    assert.equal(statSync(a).mode, statSync(b).mode);
    assert.equal(statSync(a).uid, statSync(b).uid);
  }

  it('writes the same config.json as runc spec', () => compare([]));
  it('writes the same config.json as runc spec --rootless', () => compare(['--rootless']));

  it('maps the calling user to root with --rootless, as runc does for another user', function () {
    if (process.geteuid?.() !== 0) this.skip();
    compare(['--rootless'], 4321);
  });

  it('writes into the current folder without --bundle, and takes -b', () => {
    const [here, other, theirs] = [dir(), dir(), dir()];
    assert.equal(cellaIn(['spec'], here).code, 0);
    assert.equal(cellaIn(['spec', '-b', other]).code, 0);
    assert.equal(runc(['spec'], theirs).code, 0);
    const want = readFileSync(join(theirs, 'config.json'), 'utf8');
    assert.equal(readFileSync(join(here, 'config.json'), 'utf8'), want);
    assert.equal(readFileSync(join(other, 'config.json'), 'utf8'), want);
  });

  it('refuses to overwrite config.json with runc\'s message and exit status, leaving the file alone', async () => {
    const d = dir();
    writeFileSync(join(d, 'config.json'), 'mine');
    const r = runc(['spec', '--bundle', d]);
    const c = await cella(['spec', '--bundle', d]);
    assert.equal(r.code, 1);
    assert.equal(c.code, r.code);
    assert.ok(c.stderr.includes(runcError(r)), `${c.stderr}\nrunc said: ${runcError(r)}`);
    assert.ok(c.stderr.includes(join(d, 'config.json')), c.stderr);
    assert.equal(readFileSync(join(d, 'config.json'), 'utf8'), 'mine');
  });

  it('writes through a dangling config.json symlink, as runc does', () => {
    const [ours, theirs] = [dir(), dir()];
    for (const d of [ours, theirs]) symlinkSync('target.json', join(d, 'config.json'));
    assert.equal(cellaIn(['spec', '-b', ours]).code, 0);
    assert.equal(runc(['spec', '-b', theirs]).code, 0);
    assert.equal(readFileSync(join(ours, 'target.json'), 'utf8'), readFileSync(join(theirs, 'target.json'), 'utf8'));
  });

  it('fails with exit status 1 naming the bundle when it is missing or a file, creating nothing', async () => {
    const d = dir();
    const missing = join(d, 'nope');
    const file = join(d, 'file');
    writeFileSync(file, '');
    for (const bundle of [missing, file]) {
      const r = runc(['spec', '--bundle', bundle]);
      const c = await cella(['spec', '--bundle', bundle]);
      assert.equal(r.code, 1);
      assert.equal(c.code, r.code, c.stderr);
      assert.ok(c.stderr.includes(bundle), c.stderr);
    }
    assert.equal(existsSync(missing), false);
    assert.deepEqual(await fs.readdir(d), ['file']);
  });
});
