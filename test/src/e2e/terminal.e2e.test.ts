// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeFd, ConsoleSocketListener, openPty, setWindowSize } from '@cella/core/tty';
import { assertNothingLeft, CELLA, HELLO, makeBundle, tempDir } from '../helpers/cella';
import { startContainerd } from '../helpers/containerd';
import { buildOciImage } from '../helpers/oci-image';
import { beSubreaper, cellaAsync, readMaster, waitAdopted } from '../helpers/console-socket';

const COMMAND = 'tty; stty size; echo $((6*7)); exit 5\n';

/** Resolves with `p`, or rejects after `ms` naming `what`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => { throw new Error(`${what} did not happen within ${ms} ms`); })]);
}

/** Resolves once `check()` holds (polled every 100 ms). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(100);
}

/** process.terminal=true with --console-socket, as containerd's shim drives it (real CLI, real VM). */
describe('terminals: process.terminal with a console socket (real CLI, real VM)', function () {
  this.timeout(300_000);
  let root: string;
  let dir: string;

  before(() => {
    dir = tempDir('tty');
    root = join(dir, 'root');
    beSubreaper(true);
  });

  after(() => beSubreaper(false));

  it('create sends a pty master; the container sees a tty of the size set on it, runs what is typed, and its status comes back', async () => {
    const id = `tty-${process.pid}`;
    const bundle = await makeBundle(['sh'], (s) => { (s.process as Record<string, unknown>).terminal = true; });
    const sock = join(dir, 'console.sock');
    const pidFile = join(dir, 'tty.pid');
    const listener = await ConsoleSocketListener.listen(sock);
    try {
      const receiving = listener.receive(180_000);
      const created = await cellaAsync(root, ['create', '--bundle', bundle, '--console-socket', sock, '--pid-file', pidFile, id]);
      assert.equal(created.code, 0, created.out);
      const master = await receiving;
      assert.equal(master.payload.toString(), '/dev/ptmx', 'runc sends the name /dev/ptmx with the master');
      setWindowSize(master.fd, { rows: 37, columns: 111 });
      const holder = Number(readFileSync(pidFile, 'utf8'));
      const exited = waitAdopted(holder);
      const tty = readMaster(master.fd);
      const started = await cellaAsync(root, ['start', id]);
      assert.equal(started.code, 0, started.out);
      // The size set before start is the size the process starts with.
      tty.stream.write('stty size\n');
      await within(until(() => /\r\n37 111\r\n/.test(tty.output())), 30_000, `"37 111" in ${JSON.stringify(tty.output())}`);
      // A later resize reaches it too (the holder watches the host pty; the guest resizes its own).
      setWindowSize(master.fd, { rows: 40, columns: 120 });
      await sleep(1000);
      tty.stream.write(COMMAND);
      assert.deepEqual(await within(exited, 60_000, 'the container exit'), { code: 5 }, tty.output());
      await within(tty.closed, 10_000, 'the end of the terminal output');
      const out = tty.output();
      assert.match(out, /\r\n\/dev\/pts\/\d+\r\n/, out);
      assert.match(out, /\r\n40 120\r\n/, out);
      assert.match(out, /\r\n42\r\n/, out);
      // Only the guest's terminal echoes: the host pty is raw, so what was typed shows once.
      assert.equal(out.split('echo $((6*7))').length - 1, 1, out);
      const state = JSON.parse((await cellaAsync(root, ['state', id])).out) as { status: string };
      assert.equal(state.status, 'stopped');
      assert.equal((await cellaAsync(root, ['delete', id])).code, 0);
    } finally {
      listener.close();
      await cellaAsync(root, ['delete', '--force', id]);
    }
    assertNothingLeft(root);
  });

  it('run -d --console-socket sends a pty master and leaves the container running on it; kill and delete leave nothing', async () => {
    const id = `tty-rund-${process.pid}`;
    const bundle = await makeBundle(['sh'], (s) => { (s.process as Record<string, unknown>).terminal = true; });
    const sock = join(dir, 'rund.sock');
    const pidFile = join(dir, 'rund.pid');
    const listener = await ConsoleSocketListener.listen(sock);
    try {
      const receiving = listener.receive(180_000);
      const ran = await cellaAsync(root, ['run', '-d', '--console-socket', sock, '--pid-file', pidFile, '--bundle', bundle, id]);
      assert.equal(ran.code, 0, ran.out);
      const master = await receiving;
      assert.equal(master.payload.toString(), '/dev/ptmx');
      setWindowSize(master.fd, { rows: 27, columns: 88 });
      const holder = Number(readFileSync(pidFile, 'utf8'));
      const exited = waitAdopted(holder);
      const tty = readMaster(master.fd);
      const state = JSON.parse((await cellaAsync(root, ['state', id])).out) as { status: string; pid: number };
      assert.equal(state.status, 'running', 'run -d returned with the container running');
      assert.equal(state.pid, holder, 'the pid file names the process state shows');
      // The holder polls the host pty's size: give it one period before the shell reads it.
      await sleep(500);
      tty.stream.write(COMMAND);
      assert.deepEqual(await within(exited, 60_000, 'the container exit'), { code: 5 }, tty.output());
      await within(tty.closed, 10_000, 'the end of the terminal output');
      const out = tty.output();
      assert.match(out, /\r\n\/dev\/pts\/\d+\r\n/, out);
      assert.match(out, /\r\n27 88\r\n/, out);
      assert.match(out, /\r\n42\r\n/, out);
      assert.equal((await cellaAsync(root, ['delete', id])).code, 0);
    } finally {
      listener.close();
      await cellaAsync(root, ['delete', '--force', id]);
    }
    assertNothingLeft(root);
  });

  it('exec -t -d --console-socket runs a second terminal in a running container, with its own size and status', async () => {
    const id = `tty-exec-${process.pid}`;
    const bundle = await makeBundle(['sleep', '120']);
    const sock = join(dir, 'exec.sock');
    const pidFile = join(dir, 'exec.pid');
    const listener = await ConsoleSocketListener.listen(sock);
    try {
      assert.equal((await cellaAsync(root, ['create', '--bundle', bundle, id])).code, 0);
      assert.equal((await cellaAsync(root, ['start', id])).code, 0);
      const receiving = listener.receive(120_000);
      const exec = await cellaAsync(root, ['exec', '-t', '-d', '--console-socket', sock, '--pid-file', pidFile, id, 'sh']);
      assert.equal(exec.code, 0, exec.out);
      const master = await receiving;
      setWindowSize(master.fd, { rows: 25, columns: 90 });
      const exited = waitAdopted(Number(readFileSync(pidFile, 'utf8')));
      const tty = readMaster(master.fd);
      // The size is polled on the host pty: give it one period before the shell reads it.
      await sleep(500);
      tty.stream.write(COMMAND);
      assert.deepEqual(await within(exited, 60_000, 'the exec exit'), { code: 5 }, tty.output());
      await within(tty.closed, 10_000, 'the end of the terminal output');
      const out = tty.output();
      assert.match(out, /\r\n\/dev\/pts\/\d+\r\n/, out);
      assert.match(out, /\r\n25 90\r\n/, out);
      assert.match(out, /\r\n42\r\n/, out);
      assert.equal((JSON.parse((await cellaAsync(root, ['state', id])).out) as { status: string }).status, 'running', 'the container still runs');
      // Foreground `exec -t` without a console socket uses the caller's own terminal, as runc does.
      const own = openPty();
      setWindowSize(own.master, { rows: 21, columns: 77 });
      const ownTty = readMaster(own.master);
      const fg = spawn(process.execPath, [CELLA, '--root', root, 'exec', '-t', id, 'sh', '-c', 'tty; stty size; exit 3'],
        { stdio: [own.slave, own.slave, own.slave], detached: true });
      closeFd(own.slave);
      const fgCode = await within(new Promise<number | null>((resolve) => fg.once('exit', (c) => resolve(c))), 60_000, 'exec -t');
      await within(ownTty.closed, 10_000, 'the end of exec -t output');
      assert.equal(fgCode, 3, ownTty.output());
      // Node's raw mode keeps output processing on the caller's terminal (as runc's does): \r\n arrives as \r\r\n.
      assert.match(ownTty.output(), /\/dev\/pts\/\d+\r+\n21 77\r+\n/, JSON.stringify(ownTty.output()));
    } finally {
      listener.close();
      await cellaAsync(root, ['delete', '--force', id]);
    }
    assertNothingLeft(root);
  });

  it('refuses a console socket that does not exist, naming it, and a terminal without one with runc\'s text; nothing is made', async () => {
    const tty = await makeBundle(['sh'], (s) => { (s.process as Record<string, unknown>).terminal = true; });
    const plain = await makeBundle(['true']);
    const missing = join(dir, 'no-such.sock');
    const r1 = await cellaAsync(root, ['create', '--bundle', tty, '--console-socket', missing, 'tty-missing']);
    assert.equal(r1.code, 1, r1.out);
    assert.ok(r1.out.includes(missing), r1.out);
    const r2 = await cellaAsync(root, ['create', '--bundle', tty, 'tty-nosock']);
    assert.equal(r2.code, 1, r2.out);
    assert.match(r2.out, /cannot allocate tty if runc will detach without setting console socket/);
    const listener = await ConsoleSocketListener.listen(join(dir, 'plain.sock'));
    try {
      const r3 = await cellaAsync(root, ['create', '--bundle', plain, '--console-socket', join(dir, 'plain.sock'), 'tty-plain']);
      assert.equal(r3.code, 1, r3.out);
      assert.match(r3.out, /cannot use console socket if runc will not detach or allocate tty/);
    } finally {
      listener.close();
    }
    assert.equal(existsSync(missing), false);
    assertNothingLeft(root);
  });
});

/** `stty -a` of a terminal, as a user would look at it. */
function sttyAll(path: string): string {
  const r = spawnSync('stty', ['-a', '-F', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Whether `stty -a` shows `flag` set (`icanon`) rather than cleared (`-icanon`). */
function sttyHas(all: string, flag: string): boolean {
  return new RegExp(`(^|\\s)${flag}(\\s|$)`).test(all);
}

/** Foreground `cella run` of a terminal process on the caller's own terminal (no console socket), as runc. */
describe('terminals: cella run in the foreground on the caller\'s terminal (real CLI, real VM)', function () {
  this.timeout(300_000);

  it('the container gets a tty of the caller\'s size that follows resizes and runs what is typed; the status comes back; the caller\'s terminal is raw meanwhile and cooked after', async () => {
    const dir = tempDir('tty-run');
    const root = join(dir, 'root');
    const id = `tty-run-${process.pid}`;
    const bundle = await makeBundle(['sh'], (s) => { (s.process as Record<string, unknown>).terminal = true; });
    const pty = openPty();
    setWindowSize(pty.master, { rows: 33, columns: 99 });
    const tty = readMaster(pty.master);
    // As a shell starts a command: the pty is the CLI's controlling terminal and the CLI its foreground
    // process group (setsid --ctty), so a resize of the pty sends it SIGWINCH.
    const child = spawn('setsid', ['--ctty', process.execPath, CELLA, '--root', root, 'run', '--bundle', bundle, id],
      { stdio: [pty.slave, pty.slave, pty.slave] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      assert.ok(sttyHas(sttyAll(pty.slavePath), 'icanon'), 'the terminal starts cooked');
      await within(until(() => /# /.test(tty.output())), 120_000, 'the shell prompt');
      const during = sttyAll(pty.slavePath);
      assert.ok(sttyHas(during, '-icanon') && sttyHas(during, '-echo') && sttyHas(during, '-isig'), `raw while the container runs: ${during}`);
      tty.stream.write('stty size\n');
      await within(until(() => /\n33 99\r+\n/.test(tty.output())), 30_000, `"33 99" in ${JSON.stringify(tty.output())}`);
      setWindowSize(pty.master, { rows: 44, columns: 111 });
      await sleep(1000);
      tty.stream.write(COMMAND);
      const code = await within(exited, 60_000, 'the exit of cella run');
      // The slave stays open here (for stty below), so the master sees no end: wait for the last line instead.
      await within(until(() => /\n42\r+\n/.test(tty.output())), 10_000, `"42" in ${JSON.stringify(tty.output())}`);
      const out = tty.output();
      const shown = JSON.stringify(out);
      assert.equal(code, 5, `cella run exited ${code}: ${shown}`);
      // Node's raw mode keeps output processing on the caller's terminal (as runc's does): \r\n arrives as \r\r\n.
      assert.match(out, /\n\/dev\/pts\/\d+\r+\n/, shown);
      assert.match(out, /\n44 111\r+\n/, shown);
      assert.match(out, /\n42\r+\n/, shown);
      // Only the guest's terminal echoes: ours is raw, so what was typed shows once.
      assert.equal(out.split('echo $((6*7))').length - 1, 1, shown);
      const after = sttyAll(pty.slavePath);
      assert.ok(sttyHas(after, 'icanon') && sttyHas(after, 'echo') && sttyHas(after, 'isig'), `cooked again after the run: ${after}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      closeFd(pty.slave);
      tty.stream.destroy();
      await cellaAsync(root, ['delete', '--force', id]);
    }
    assertNothingLeft(root);
  });
});

/** `ctr run -t` through real containerd and its runc shim, with cella as the runc binary. */
describe('terminals: ctr run -t gives a working tty (real containerd, real VM)', function () {
  this.timeout(300_000);

  it('ctr run -t runs a shell on a terminal of ctr\'s size and passes its exit status back', async function () {
    if (spawnSync('containerd', ['--version']).status !== 0) this.skip();
    const dir = tempDir('tty-ctr');
    const image = 'docker.io/library/cella-busybox-tty:latest';
    const archive = await buildOciImage(join(HELLO, 'rootfs'), dir, image);
    const containerd = await startContainerd(dir);
    const pty = openPty();
    const id = `ctr-tty-${process.pid}`;
    try {
      assert.equal(containerd.ctr(['image', 'import', archive]).code, 0);
      setWindowSize(pty.master, { rows: 30, columns: 100 });
      const tty = readMaster(pty.master);
      // ctr needs a terminal on its stdin (it makes it raw and sends its size to the shim): our pty's slave.
      const ctr = spawn('ctr', ['--address', containerd.socket, 'run', '-t', '--runc-binary', CELLA, '--rm', image, id, 'sh'],
        { stdio: [pty.slave, pty.slave, pty.slave], detached: true });
      const exited = new Promise<number | null>((resolve) => ctr.once('exit', (code) => resolve(code)));
      closeFd(pty.slave);
      // Typed once the shell prompt shows (the VM boots first).
      await within(until(() => /# /.test(tty.output())), 120_000, 'the shell prompt');
      // ctr sends its size to the shim right after start: let the holder see it (it polls) before stty runs.
      await sleep(1000);
      tty.stream.write(COMMAND);
      const code = await within(exited, 120_000, 'ctr\'s exit');
      assert.equal(code, 5, `ctr exited ${code}: ${tty.output()}`);
      const out = tty.output();
      const shown = JSON.stringify(out);
      // ctr's own terminal keeps OPOST|ONLCR in its raw mode (containerd/console), so each \r\n from the
      // container reaches us as \r\r\n; the create test above shows the bytes as the container wrote them.
      assert.match(out, /\n\/dev\/pts\/\d+\r+\n/, shown);
      assert.match(out, /\n30 100\r+\n/, shown);
      assert.match(out, /\n42\r+\n/, shown);
      tty.stream.destroy();
    } finally {
      containerd.ctr(['task', 'kill', '-s', 'KILL', id]);
      containerd.ctr(['container', 'delete', id]);
      await containerd.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
