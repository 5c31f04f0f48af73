// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cella, makeBundle, tempDir, type CellaResult } from '../helpers/cella';

const hasRunc = spawnSync('runc', ['--version']).status === 0;

/** runc's exit status for the same arguments (usage errors are found before runc touches its root). */
function runcStatus(args: string[], root: string): number | null {
  return spawnSync('runc', ['--root', root, ...args], { stdio: 'ignore' }).status;
}

/**
 * What a user (or an engine driving us as runc) gets for bad input that needs no VM: runc's exit statuses,
 * an error that names the argument, flag, file or id, and nothing made under the state root.
 */
describe('OCI commands: usage errors and bad input (CLI, no VM)', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let runcRoot: string;

  before(() => {
    dir = tempDir('usage');
    // Neither root exists: a command that made anything would create it.
    root = join(dir, 'root');
    runcRoot = join(dir, 'runc-root');
  });
  afterEach(() => {
    assert.equal(existsSync(root), false, 'nothing is made under the state root');
  });

  const run = (args: string[]): Promise<CellaResult> => cella(['--root', root, ...args]);

  it('a missing container id exits 1, as runc, and the message names the missing argument', async () => {
    for (const cmd of ['state', 'start', 'kill', 'delete', 'pause', 'resume', 'ps', 'events', 'create', 'run', 'exec']) {
      const r = await run([cmd]);
      assert.equal(r.code, 1, `cella ${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /Missing 1 required arg:[\s›]+id\b|needs a container id/, `cella ${cmd}: ${r.stderr}`);
      if (hasRunc) assert.equal(r.code, runcStatus([cmd], runcRoot), `runc ${cmd} exits the same`);
    }
  });

  it('an unknown flag and an extra argument exit 1, as runc, naming them', async () => {
    for (const [args, named] of [
      [['state', '--bogus', 'x'], '--bogus'],
      [['kill', '--bogus', 'x'], '--bogus'],
      [['run', '--bogus', 'x'], '--bogus'],
      [['exec', '--bogus', 'x', 'true'], '--bogus'],
      [['state', 'a', 'b'], 'b'],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 1, `cella ${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(named), `cella ${args.join(' ')} names ${named}: ${r.stderr}`);
      if (hasRunc) assert.equal(r.code, runcStatus([...args], runcRoot), `runc ${args.join(' ')} exits the same`);
    }
  });

  it('an unknown container id is named (exit 1; exec 255, as runc)', async () => {
    for (const cmd of [['state'], ['start'], ['kill'], ['delete'], ['pause'], ['resume'], ['ps'], ['events', '--stats']]) {
      const r = await run([...cmd, 'no-such-ctr']);
      assert.equal(r.code, 1, `cella ${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /container does not exist/);
      assert.match(r.stderr, /no-such-ctr/, `cella ${cmd.join(' ')} names the id: ${r.stderr}`);
      if (hasRunc) assert.equal(r.code, runcStatus([...cmd, 'no-such-ctr'], runcRoot), `runc ${cmd.join(' ')} exits the same`);
    }
    const ex = await run(['exec', 'no-such-ctr', 'true']);
    assert.equal(ex.code, 255, ex.stderr);
    assert.match(ex.stderr, /container does not exist/);
    assert.match(ex.stderr, /no-such-ctr/);
  });

  it('a bundle path that is a regular file is named, exit 1, for create, run and run -d', async () => {
    const bundle = await makeBundle(['true']);
    const file = join(bundle, 'config.json');
    for (const cmd of [['create'], ['run'], ['run', '-d']]) {
      const r = await run([...cmd, '--bundle', file, 'file-bundle']);
      assert.equal(r.code, 1, `cella ${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /not a folder/);
      assert.ok(r.stderr.includes(file), `names ${file}: ${r.stderr}`);
    }
  });

  it('run keeps runc\'s terminal rules: -d with a terminal needs a console socket, a socket needs -d, a missing socket is named', async () => {
    const tty = await makeBundle(['sh'], (s) => { (s.process as Record<string, unknown>).terminal = true; });
    const plain = await makeBundle(['true']);
    const missing = join(dir, 'no-such.sock');
    const cases: Array<[string[], RegExp | string]> = [
      [['run', '-d', '--bundle', tty, 'tty-d'], 'cannot allocate tty if runc will detach without setting console socket'],
      [['run', '--console-socket', missing, '--bundle', tty, 'tty-fg'], 'cannot use console socket if runc will not detach or allocate tty'],
      [['run', '-d', '--console-socket', missing, '--bundle', plain, 'plain-d'], 'cannot use console socket if runc will not detach or allocate tty'],
      [['run', '-d', '--console-socket', missing, '--bundle', tty, 'tty-missing'], missing],
    ];
    for (const [args, text] of cases) {
      const r = await run(args);
      assert.equal(r.code, 1, `cella ${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(String(text)), `cella ${args.join(' ')}: ${r.stderr}`);
      if (hasRunc && typeof text === 'string' && text.startsWith('cannot')) {
        const theirs = spawnSync('runc', ['--root', runcRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        assert.equal(r.code, theirs.status, `runc ${args.join(' ')}: ${theirs.stderr}`);
        assert.ok(theirs.stderr.includes(text), `runc's own text: ${theirs.stderr}`);
      }
    }
    assert.equal(existsSync(missing), false);
    await fs.rm(runcRoot, { recursive: true, force: true });
  });

  it('refuses --preserve-fds other than 0 for create, run and exec, saying fds cannot enter the VM', async () => {
    const bundle = await makeBundle(['true']);
    for (const args of [['create', '--preserve-fds', '2', '--bundle', bundle, 'pf1'], ['run', '-d', '--preserve-fds', '1', '--bundle', bundle, 'pf2'],
      ['exec', '--preserve-fds', '1', 'pf3', 'true']]) {
      const r = await run(args);
      assert.equal(r.code, 1, `cella ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--preserve-fds is not supported: file descriptors cannot be passed into the VM/, r.stderr);
    }
    const bad = await run(['exec', '--preserve-fds', 'many', 'pf4', 'true']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid value "many" for flag --preserve-fds/);
  });

  it('refuses a command the rootfs does not have at create, as runc does, for create, run and run -d', async () => {
    for (const [arg0, text] of [['nosuch', 'exec: "nosuch": executable file not found in $PATH'], ['/bin/nosuch', 'exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory']]) {
      const bundle = await makeBundle([arg0!]);
      for (const args of [['create', '--bundle', bundle, 'exe1'], ['run', '--bundle', bundle, 'exe2'], ['run', '-d', '--bundle', bundle, 'exe3']]) {
        const r = await run(args);
        assert.equal(r.code, 1, `cella ${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stderr.includes(text!), `cella ${args.join(' ')}: ${r.stderr}`);
        if (hasRunc) {
          const theirs = spawnSync('runc', ['--root', runcRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
          spawnSync('runc', ['--root', runcRoot, 'delete', '-f', args[args.length - 1]!], { stdio: 'ignore' });
          assert.equal(theirs.status, 1);
          assert.ok(theirs.stderr.replace(/\\"/g, '"').includes(text!), `runc's own text: ${theirs.stderr}`);
        }
      }
    }
    await fs.rm(runcRoot, { recursive: true, force: true });
  });
});
