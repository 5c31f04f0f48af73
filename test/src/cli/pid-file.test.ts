// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cella, makeBundle, tempDir } from '../helpers/cella';

/** A --pid-file that cannot be written is refused before anything is made (issue #10 item 5), naming the flag. */
describe('--pid-file checked before the VM boots (CLI, no VM)', function () {
  this.timeout(60_000);
  for (const [what, path] of [['a folder', (d: string) => d], ['in a missing folder', (d: string) => join(d, 'no', 'pid')]] as const) {
    for (const cmd of [['create'], ['run', '-d']]) {
      it(`${cmd.join(' ')} refuses a --pid-file ${what}`, async () => {
        const dir = tempDir('pidfile');
        const root = join(dir, 'root');
        const bundle = await makeBundle(['true']);
        const r = await cella([...cmd, '--root', root, '--bundle', bundle, '--pid-file', path(dir), 'p1']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /--pid-file cannot be written/);
        assert.match(r.stderr, /\(E_INVALID_ARGUMENT\)/);
        assert.equal(existsSync(join(root, 'p1')), false, 'nothing was made');
      });
    }
  }
});
