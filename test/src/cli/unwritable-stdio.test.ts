// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cella';
import { cellaWithStdio, STDIO_MODES } from '../helpers/unwritable-stdio';

/**
 * The CLI never dies on a stdout/stderr it cannot write (issue #17 item 1): the exit status is the command's,
 * and an error still reaches `--log`, where engines read it. Commands that need no VM; the lifecycle with a
 * real VM is in test/src/e2e/unwritable-stdio.e2e.test.ts.
 */
describe('CLI with an unwritable stdout/stderr (no VM)', function () {
  this.timeout(60_000);
  for (const mode of STDIO_MODES) {
    it(`--version, list and spec succeed with stdout/stderr ${mode}`, async () => {
      const root = tempDir('stdio-root');
      for (const args of [['--version'], ['list', '--root', root], ['spec', '--bundle', tempDir('stdio-spec')]]) {
        const r = await cellaWithStdio(mode, args);
        assert.deepEqual(r, { code: 0, signal: null }, `${args.join(' ')} with ${mode}`);
      }
    });

    it(`a failing state exits 1 and logs its error with stdout/stderr ${mode}`, async () => {
      const dir = tempDir('stdio-log');
      const log = join(dir, 'log.json');
      const r = await cellaWithStdio(mode, ['--root', join(dir, 'root'), '--log', log, '--log-format', 'json', 'state', 'nope']);
      assert.deepEqual(r, { code: 1, signal: null });
      assert.match(readFileSync(log, 'utf8'), /"level":"error".*container does not exist/);
    });
  }
});
