// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
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

  it('serialises commands with a kernel lock that dies with its holder', async () => {
    await store.create('l1');
    const a = await store.lock('l1');
    await assert.rejects(store.lock('l1', 200), { code: 'E_STATE_LOCKED' });
    await a.release();
    const b = await store.lock('l1', 200);
    await b.release();
    // Another process takes the lock and is killed while holding it: the kernel frees it at once.
    const holder = spawn(process.execPath, ['-e', `
      const s = require(${JSON.stringify(require.resolve('syscall-napi/package.json').replace('package.json', 'build/Release/syscall.node'))});
      const fd = require('fs').openSync(${JSON.stringify(store.paths('l1').lockFile)}, 'a');
      s.syscall_sync(${process.arch === 'arm64' ? '32n' : '73n'}, BigInt(fd), 2n);
      process.stdout.write('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => holder.stdout.once('data', r));
    await assert.rejects(store.lock('l1', 200), { code: 'E_STATE_LOCKED' });
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const c = await store.lock('l1', 1000);
    await c.release();
  });

  it('a waiter on a sandbox removed under the lock learns it is gone, and nobody holds two locks at once', async () => {
    await store.create('l2');
    const a = await store.lock('l2');
    const waiter = store.lock('l2', 5000);
    await store.remove('l2');
    await a.release();
    await assert.rejects(waiter, { code: 'E_SANDBOX_NOT_FOUND' });
    await store.create('l3');
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      const l = await store.lock('l3', 5000);
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 5));
      inside--;
      await l.release();
    }));
    assert.equal(most, 1);
  });
});
