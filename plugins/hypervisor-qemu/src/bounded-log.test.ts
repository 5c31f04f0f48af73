// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BoundedFileLog } from './bounded-log';

describe('BoundedFileLog', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-boundedlog-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('stops the file at the limit with a note, and keeps the latest lines for error details', async () => {
    const log = new BoundedFileLog(path.join(dir, 'qemu.stderr.log'), 100, 64);
    for (let i = 0; i < 50; i++) log.write(Buffer.from(`warning ${i}\n`));
    log.close();
    const text = await fs.readFile(log.file, 'utf8');
    assert.ok(text.startsWith('warning 0\nwarning 1\n'));
    assert.match(text, /log limit of 100 bytes reached/);
    assert.ok(Buffer.byteLength(text) < 200);
    assert.equal(log.tail(2), 'warning 48\nwarning 49');
  });
});

describe('BoundedFileLog (keep: tail)', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-boundedlog-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('never exceeds the limit and ends with the newest lines, in order', async () => {
    const log = new BoundedFileLog(path.join(dir, 'console.log'), 4096, 256, 'tail');
    let max = 0;
    for (let i = 0; i < 5000; i++) {
      log.write(Buffer.from(`line ${i}\n`));
      max = Math.max(max, (await fs.stat(log.file)).size);
    }
    log.close();
    assert.ok(max <= 4096, `the file reached ${max} bytes`);
    const lines = (await fs.readFile(log.file, 'utf8')).trimEnd().split('\n');
    assert.match(lines[0]!, /older output dropped: log limit of 4096 bytes/);
    assert.equal(lines.at(-1), 'line 4999');
    const numbers = lines.slice(2).map((l) => Number(l.slice(5)));
    numbers.forEach((n, i) => { if (i > 0) assert.equal(n, numbers[i - 1]! + 1); });
  });

  it('keeps the end of a single chunk larger than the limit', async () => {
    const log = new BoundedFileLog(path.join(dir, 'console.log'), 4096, 256, 'tail');
    log.write(Buffer.from(`${'x'.repeat(10_000)}END\n`));
    log.close();
    const text = await fs.readFile(log.file, 'utf8');
    assert.ok(Buffer.byteLength(text) <= 4096);
    assert.ok(text.endsWith('xEND\n'));
  });
});
