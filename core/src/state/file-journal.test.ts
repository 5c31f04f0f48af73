// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullLogger } from '../log/logger';
import { FileJournal } from './file-journal';
import { isAlive, processStartTime } from './proc';
import { CORE_UNDO_HANDLERS } from './undo-handlers';

describe('FileJournal', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-journal-')); });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('persists entries so a fresh process (crash recovery) sees them', async () => {
    const j = await FileJournal.open(dir);
    await j.record('path', 'core', 'a file', { path: join(dir, 'x') });
    const e = await j.record('process', 'test', 'sleeper', { name: 'sleep' });
    await j.update(e.seq, { pid: 42 });
    const again = await FileJournal.open(dir);
    assert.deepEqual(again.entries().map((x) => [x.type, x.label, x.data.pid]), [['path', 'a file', undefined], ['process', 'sleeper', 42]]);
  });

  it('undoes newest first: kills a recorded process and removes recorded files', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
    const pid = child.pid!;
    const file = join(dir, 'image.img');
    await fs.writeFile(file, 'x');
    const j = await FileJournal.open(dir);
    await j.record('path', 'core', 'image', { path: file });
    await j.record('process', 'test', 'sleep', { name: 'sleep', pid, startTime: processStartTime(pid) });
    const failures = await (await FileJournal.open(dir)).unwind(CORE_UNDO_HANDLERS, nullLogger);
    assert.deepEqual(failures, []);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(file), false);
    assert.deepEqual((await FileJournal.open(dir)).entries(), []);
  });

  it('does not kill a process whose pid was reused (start time differs)', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const j = await FileJournal.open(dir);
      await j.record('process', 'test', 'old', { name: 'old', pid: child.pid, startTime: '1' });
      await j.unwind(CORE_UNDO_HANDLERS, nullLogger);
      assert.equal(isAlive(child.pid!), true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keeps an entry it cannot undo and reports it', async () => {
    const j = await FileJournal.open(dir);
    await j.record('unknown-kind', 'vendor', 'mystery', {});
    const failures = await j.unwind(CORE_UNDO_HANDLERS, nullLogger);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /unknown-kind/);
    assert.equal(j.entries().length, 1);
  });

  it('refuses a corrupt journal file with an error naming it', async () => {
    await fs.writeFile(join(dir, 'journal.json'), '{oops');
    await assert.rejects(FileJournal.open(dir), (err: Error & { code?: string; details?: { file?: string } }) => err.code === 'E_STATE_CORRUPT' && err.details?.file === join(dir, 'journal.json'));
  });
});
