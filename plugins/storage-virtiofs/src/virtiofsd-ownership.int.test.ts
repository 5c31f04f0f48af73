// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { holdUserNamespace } from './virtiofsd-ownership';

const run = promisify(execFile);

describe('holdUserNamespace (root, real user namespace)', () => {
  let dir: string;
  before(function () { if (process.getuid?.() !== 0) this.skip(); });
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-vfs-userns-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('runs a command as the namespace\'s root, which is the unprivileged id on the host and cannot chmod root\'s files', async () => {
    const id = 2147483000;
    await fs.writeFile(path.join(dir, 'roots'), 'x', { mode: 0o755 });
    const hold = await holdUserNamespace(id);
    try {
      const [file, ...argv] = hold.launcher;
      const script = 'id -u; id -g; echo w > "$1/made"; echo more >> "$1/roots" && echo WROTE-ROOTS; chmod 4755 "$1/roots" 2>/dev/null || echo CHMOD-REFUSED';
      const { stdout } = await run(file!, [...argv, 'setpriv', '--inh-caps=-all', '--bounding-set=-fowner,-fsetid', '--', 'sh', '-c', script, 'sh', dir]);
      assert.deepEqual(stdout.trim().split('\n'), ['0', '0', 'WROTE-ROOTS', 'CHMOD-REFUSED']);
    } finally {
      hold.release();
    }
    const made = await fs.stat(path.join(dir, 'made'));
    assert.deepEqual([made.uid, made.gid], [id, id]);
    const roots = await fs.stat(path.join(dir, 'roots'));
    assert.deepEqual([roots.uid, roots.mode & 0o7777], [0, 0o755]);
  });
});
