// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { destroyFixture, makeFixture, type Fixture } from './test-support/sandbox-fixture';
import { holdUserNamespace } from './virtiofsd-ownership';

const run = promisify(execFile);

describe('holdUserNamespace (root, real user namespace)', () => {
  let f: Fixture | undefined;
  before(function () { if (process.getuid?.() !== 0) this.skip(); });
  afterEach(async () => { if (f) await destroyFixture(f); f = undefined; });

  it('runs a command as the namespace\'s root, which is the unprivileged id on the host and cannot chmod root\'s files', async () => {
    f = await makeFixture('cella-vfs-userns-');
    const dir = f.root;
    const id = 2147483000;
    await fs.writeFile(path.join(dir, 'roots'), 'x', { mode: 0o755 });
    const hold = await holdUserNamespace(id, f.journal);
    const [holder] = f.journal.entries();
    assert.equal(holder?.type, 'process', 'the holder is journalled');
    assert.ok(await hold.contains(Number(holder.data.pid)));
    assert.ok(!(await hold.contains(process.pid)));
    try {
      const [file, ...argv] = hold.launcher;
      // As virtiofsd runs there: fowner and fsetid dropped (virtiofsd drops them itself with --modcaps).
      const script = 'id -u; id -G; echo w > "$1/made"; echo more >> "$1/roots" && echo WROTE-ROOTS; chmod 4755 "$1/roots" 2>/dev/null || echo CHMOD-REFUSED';
      const { stdout } = await run(file!, [...argv, 'setpriv', '--inh-caps=-all', '--bounding-set=-fowner,-fsetid', '--', 'sh', '-c', script, 'sh', dir]);
      assert.deepEqual(stdout.trim().split('\n'), ['0', '0', 'WROTE-ROOTS', 'CHMOD-REFUSED']);
    } finally {
      await hold.release();
    }
    assert.deepEqual(f.journal.entries(), []);
    const made = await fs.stat(path.join(dir, 'made'));
    assert.deepEqual([made.uid, made.gid], [id, id]);
    const roots = await fs.stat(path.join(dir, 'roots'));
    assert.deepEqual([roots.uid, roots.mode & 0o7777], [0, 0o755]);
  });
});
