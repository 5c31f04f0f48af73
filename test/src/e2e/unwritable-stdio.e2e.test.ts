// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { assertNothingLeft, cella, makeBundle, tempDir } from '../helpers/cella';
import { cellaWithStdio, STDIO_MODES } from '../helpers/unwritable-stdio';

async function status(root: string, id: string): Promise<string> {
  const r = await cella(['state', '--root', root, id]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `error: ${r.stderr}`;
}

/**
 * Each lifecycle command, and the holder it leaves, with stdout/stderr read-only, closed, or a broken pipe, as
 * containerd's shim and engines may call us (issues #10 item 1, #17 item 1): every command does its work and
 * exits 0, the holder keeps standing for a container that writes to that stdout, and nothing is left.
 */
describe('lifecycle with an unwritable stdout/stderr (real VM)', function () {
  this.timeout(300_000);
  let root: string;
  beforeEach(() => { root = tempDir('stdio-root'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
  });

  for (const mode of STDIO_MODES) {
    it(`create, state, start, kill, delete with stdout/stderr ${mode}`, async () => {
      const bundle = await makeBundle(['sh', '-c', 'while :; do echo out; echo err >&2; sleep 0.3; done']);
      const id = `io-${mode}`;
      const ok = { code: 0, signal: null };
      assert.deepEqual(await cellaWithStdio(mode, ['create', '--root', root, '--bundle', bundle, id]), ok, 'create');
      assert.deepEqual(await cellaWithStdio(mode, ['state', '--root', root, id]), ok, 'state');
      assert.deepEqual(await cellaWithStdio(mode, ['start', '--root', root, id]), ok, 'start');
      // The holder relays output it cannot write for a while, and stays.
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(await status(root, id), 'running');
      assert.deepEqual(await cellaWithStdio(mode, ['list', '--root', root]), ok, 'list');
      assert.deepEqual(await cellaWithStdio(mode, ['kill', '--root', root, id, 'KILL']), ok, 'kill');
      for (let i = 0; i < 50 && (await status(root, id)) !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await status(root, id), 'stopped');
      assert.deepEqual(await cellaWithStdio(mode, ['delete', '--root', root, id]), ok, 'delete');
    });
  }
});
