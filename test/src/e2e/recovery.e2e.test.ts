// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, cella, CELLA, HELLO, makeBundle, processesMentioning, tempDir } from '../helpers/cella';

async function waitForState(root: string, id: string, want: (st: { status?: string; vm?: { pid?: number } }) => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const st = await fs.readFile(join(root, id, 'state.json'), 'utf8').then(JSON.parse, () => undefined);
    if (st && want(st)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never reached the expected state`);
}

/** Start `cella run` in the background; resolves its exit once it ends. */
function startRun(root: string, bundle: string, id: string): { pid: number; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [CELLA, 'run', '--root', root, '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { pid: child.pid!, done };
}

/** Crash recovery with real VMs: what a killed or interrupted `cella run` leaves is found and removed. */
describe('sandbox recovery (real VM)', function () {
  this.timeout(240_000);
  let root: string;
  beforeEach(() => { root = tempDir('root'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('stops booting on SIGINT and removes everything it made', async () => {
    const run = startRun(root, HELLO, 'interrupted');
    await waitForState(root, 'interrupted', (st) => st.vm?.pid !== undefined);
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Interrupted by SIGINT/);
  });

  it('delete --force removes the VM and state of a run whose CLI was killed', async () => {
    const bundle = await makeBundle(['sh', '-c', 'sleep 60']);
    const run = startRun(root, bundle, 'orphan');
    await waitForState(root, 'orphan', (st) => st.status === 'running');
    process.kill(run.pid, 'SIGKILL');
    await run.done;
    // The VM dies with the killed CLI (parent-death signal, docs/adr/0012); its state and journal are left to delete.
    const qemu = (): string[] => processesMentioning(root).filter((p) => p.includes('qemu-system'));
    for (let i = 0; i < 40 && qemu().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(qemu(), [], 'the VM outlived the killed CLI');
    const r = await cella(['delete', '--force', '--root', root, 'orphan']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('the next run stops a sandbox whose CLI died, and keeps it listed as stopped until delete', async () => {
    const bundle = await makeBundle(['sh', '-c', 'sleep 60']);
    const run = startRun(root, bundle, 'stale');
    await waitForState(root, 'stale', (st) => st.status === 'running');
    process.kill(run.pid, 'SIGKILL');
    await run.done;
    const r = await cella(['run', '--root', root, '--bundle', HELLO, 'next']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello from a Cella VM/);
    assert.deepEqual(processesMentioning(join(root, 'stale')), [], 'its VM was stopped');
    const st = await cella(['state', '--root', root, 'stale']);
    assert.equal(JSON.parse(st.stdout).status, 'stopped', st.stderr);
    const del = await cella(['delete', '--root', root, 'stale']);
    assert.equal(del.code, 0, del.stderr);
  });

  it('refuses an unknown container id with a clear error (delete --force of it succeeds, as runc)', async () => {
    const r = await cella(['delete', '--root', root, 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container does not exist/);
    assert.match(r.stderr, /nope/);
    assert.equal((await cella(['delete', '--force', '--root', root, 'nope'])).code, 0);
  });
});
