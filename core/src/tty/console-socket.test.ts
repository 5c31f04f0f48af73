// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { closeSync, fstatSync, mkdtempSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '../errors';
import { checkConsoleSocket, ConsoleSocketListener, sendConsoleMaster, socketFd } from './console-socket';
import { receiveFdNow, sendFd, waitReadable } from './fd-passing';
import { getWindowSize, makeRaw, openPty, setWindowSize } from './pty';
import { closeFd, ttyStream } from './tty-streams';

/** Reads what is there on a blocking fd (a pty end), up to `n` bytes. */
function readSome(fd: number, n = 256): string {
  const buf = Buffer.alloc(n);
  return buf.subarray(0, readSync(fd, buf, 0, n, null)).toString('utf8');
}

describe('pty and console socket (real ptys, real unix sockets)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-tty-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a pty pair whose master and slave talk to each other, and a size set on one is read on the other', () => {
    const pty = openPty();
    try {
      assert.match(pty.slavePath, /^\/dev\/pts\/\d+$/);
      assert.ok(fstatSync(pty.slave).isCharacterDevice());
      setWindowSize(pty.master, { rows: 33, columns: 101 });
      assert.deepEqual(getWindowSize(pty.slave), { rows: 33, columns: 101 });
      makeRaw(pty.slave);
      writeSync(pty.master, 'abc\n');
      // Raw: no echo back to the master, no line editing, the bytes as written.
      assert.equal(readSome(pty.slave), 'abc\n');
      writeSync(pty.slave, 'x\n');
      assert.equal(readSome(pty.master), 'x\n', 'no CR added: output processing is off');
    } finally {
      closeFd(pty.master);
      closeFd(pty.slave);
    }
  });

  it('sends the master over a unix socket as runc does; the fd received writes to the slave', async () => {
    const path = join(dir, 'console.sock');
    const listener = await ConsoleSocketListener.listen(path);
    const pty = openPty();
    try {
      makeRaw(pty.slave);
      const [got] = await Promise.all([listener.receive(5000), sendConsoleMaster(path, pty.master)]);
      closeFd(pty.master);
      assert.equal(got.payload.toString(), '/dev/ptmx');
      assert.notEqual(got.fd, pty.master, 'a new descriptor for the same master');
      writeSync(got.fd, 'through the received master\n');
      assert.equal(readSome(pty.slave), 'through the received master\n');
      setWindowSize(got.fd, { rows: 20, columns: 70 });
      assert.deepEqual(getWindowSize(pty.slave), { rows: 20, columns: 70 });
      closeFd(got.fd);
    } finally {
      listener.close();
      closeFd(pty.slave);
    }
  });

  it('ends a stream on a master with the end of the slave (EIO), after the data written before it', async () => {
    const pty = openPty();
    makeRaw(pty.slave);
    const master = ttyStream(pty.master);
    let out = '';
    master.on('data', (d: Buffer) => { out += d.toString(); });
    const closed = new Promise<void>((resolve) => master.once('close', () => resolve()));
    writeSync(pty.slave, 'last words\n');
    closeSync(pty.slave);
    await closed;
    assert.equal(out, 'last words\n');
  });

  it('refuses a message that carries no fd, and receives nothing before anything is sent', async () => {
    const path = join(dir, 'plain.sock');
    const listener = await ConsoleSocketListener.listen(path);
    const sock = connect(path);
    try {
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      const fd = socketFd(sock);
      assert.equal(receiveFdNow(fd), undefined, 'nothing queued yet');
      assert.equal(await waitReadable(fd, 50), false);
      sock.write('/dev/ptmx');
      await assert.rejects(listener.receive(2000), (e: unknown) => isCellaError(e, 'E_TTY_FD_PASSING'));
    } finally {
      sock.destroy();
      listener.close();
    }
  });

  it('refuses to send an empty name, and names a console socket that is missing or not a socket', async () => {
    assert.throws(() => sendFd(0, 0, ''), (e: unknown) => isCellaError(e, 'E_TTY_FD_PASSING'));
    const missing = join(dir, 'missing.sock');
    assert.throws(() => checkConsoleSocket(missing), (e: unknown) => isCellaError(e, 'E_TTY_CONSOLE_SOCKET') && e.message.includes(missing));
    const file = join(dir, 'file');
    writeFileSync(file, '');
    assert.throws(() => checkConsoleSocket(file), (e: unknown) => isCellaError(e, 'E_TTY_CONSOLE_SOCKET') && e.message.includes('not a unix socket'));
    await assert.rejects(sendConsoleMaster(missing, 0), (e: unknown) => isCellaError(e, 'E_TTY_CONSOLE_SOCKET') && e.message.includes(missing));
  });
});
