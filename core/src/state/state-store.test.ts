// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from './state-store';

describe('StateStore', () => {
  let root: string;
  let store: StateStore;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'cella-state-')); store = new StateStore(join(root, 'r')); });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('creates a sandbox once and refuses the same id twice', async () => {
    await store.create('abc');
    await assert.rejects(store.create('abc'), { code: 'E_SANDBOX_EXISTS' });
  });

  it('refuses ids that could escape the root or break paths', async () => {
    for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200)]) {
      await assert.rejects(store.create(id), { code: 'E_SANDBOX_ID' }, id);
    }
    assert.deepEqual(readdirSync(root), []);
  });

  it('writes state atomically and reads it back; unknown ids are NotFound', async () => {
    await store.create('s1');
    await store.write('s1', { status: 'created' });
    assert.deepEqual(await store.read('s1'), { status: 'created' });
    await assert.rejects(store.read('nope'), { code: 'E_SANDBOX_NOT_FOUND' });
    assert.deepEqual(readdirSync(join(root, 'r', 's1')), ['state.json']);
  });

  it('keeps unix socket paths short for long ids', async () => {
    const id = 'x'.repeat(120);
    const p = store.paths(id);
    assert.ok(join(p.runDir, 'agent.sock').length < 108);
    await store.create(id);
    await fs.mkdir(p.runDir, { recursive: true });
    await store.remove(id);
    assert.deepEqual(readdirSync(join(root, 'r')), []);
  });

  it('serialises commands with a lock and takes over the lock of a dead owner', async () => {
    await store.create('l1');
    const a = await store.lock('l1');
    await assert.rejects(store.lock('l1', 200), { code: 'E_STATE_LOCKED' });
    await a.release();
    const b = await store.lock('l1', 200);
    await b.release();
    await fs.writeFile(store.paths('l1').lockFile, '999999999 1');
    const c = await store.lock('l1', 200);
    await c.release();
  });
});
