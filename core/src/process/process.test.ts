// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, promises as fs } from 'node:fs';
import { connect, createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCellaError } from '../errors';
import { confinedCommand } from './confined-command';
import { connectUnixFd, listenUnixFd } from './unix-socket-fd';

describe('sealInheritedFds', () => {
  it('keeps an fd the caller left open (200>file) from reaching a child, and keeps it open in this process', () => {
    // A fresh Node with fd 200 inherited without FD_CLOEXEC, as `cella create … 200>file` starts the CLI.
    const script = `
      const { sealInheritedFds } = require(${JSON.stringify(path.join(__dirname, 'inherited-fds.js'))});
      const before = require('child_process').execFileSync('ls', ['/proc/self/fd']).toString().split('\\n');
      const sealed = sealInheritedFds();
      const after = require('child_process').execFileSync('ls', ['/proc/self/fd']).toString().split('\\n');
      require('fs').fstatSync(200);
      process.stdout.write(JSON.stringify({ before: before.includes('200'), sealed, after: after.includes('200') }));`;
    const out = execFileSync('bash', ['-c', `exec "$0" -e "$1" 200</dev/null`, process.execPath, script]).toString();
    const r = JSON.parse(out) as { before: boolean; sealed: number[]; after: boolean };
    assert.equal(r.before, true, 'the test did not manage to leak fd 200');
    assert.ok(r.sealed.includes(200));
    assert.equal(r.after, false);
  });
});

describe('confinedCommand', () => {
  it('execs the binary through setpriv with the parent-death signal, and drops ids and every capability for a user', () => {
    const root = confinedCommand('/usr/bin/qemu', ['-m', '1G']);
    assert.match(root.file, /\/setpriv$/);
    assert.deepEqual(root.args, ['--pdeathsig=KILL', '--', '/usr/bin/qemu', '-m', '1G']);
    const user = confinedCommand('/usr/bin/qemu', [], { user: { uid: 999, gid: 995, groups: [] } });
    assert.deepEqual(user.args.slice(0, -2), ['--reuid=999', '--regid=995', '--clear-groups', '--inh-caps=-all', '--ambient-caps=-all',
      '--bounding-set=-all', '--nnp', '--pdeathsig=KILL']);
    assert.ok(confinedCommand('q', [], { user: { uid: 999, gid: 995, groups: [104] } }).args.includes('--groups=104'));
  });

  it('refuses to "confine" to root', () => {
    assert.throws(() => confinedCommand('q', [], { user: { uid: 0, gid: 995, groups: [] } }), (e: unknown) => isCellaError(e, 'E_PROCESS_USER'));
  });
});

describe('listenUnixFd / connectUnixFd', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-unixfd-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('makes a listening socket a client reaches, and connects to a server, as plain fds', async () => {
    const sock = path.join(dir, 'l.sock');
    const fd = listenUnixFd(sock);
    const connected = await new Promise<boolean>((resolve) => {
      const c = connect(sock, () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    closeSync(fd);
    assert.equal(connected, true);
    assert.ok((await fs.stat(sock)).isSocket(), 'closing the fd removed the socket file');

    const served = path.join(dir, 's.sock');
    const server = createServer();
    const accepted = new Promise<void>((resolve) => server.once('connection', (s) => { s.destroy(); resolve(); }));
    await new Promise<void>((resolve) => server.listen(served, resolve));
    const cfd = connectUnixFd(served);
    await accepted;
    closeSync(cfd);
    server.close();
  });

  it('fails with E_PROCESS_SOCKET naming the path when nobody listens or the path is too long', () => {
    assert.throws(() => connectUnixFd(path.join(dir, 'none.sock')), (e: unknown) => isCellaError(e, 'E_PROCESS_SOCKET') && JSON.stringify((e as { details: unknown }).details).includes('none.sock'));
    assert.throws(() => listenUnixFd(path.join(dir, 'x'.repeat(120))), (e: unknown) => isCellaError(e, 'E_PROCESS_SOCKET'));
  });
});
