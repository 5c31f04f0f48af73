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
