// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharDeviceStream } from './char-device-stream';

describe('CharDeviceStream', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-chardev-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and reads through one read-write fd (a FIFO opened r+ loops back), and closes it only after the blocked read returns', async () => {
    const fifo = join(dir, 'port');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, 'r+');
    const stream = new CharDeviceStream(fd);
    const got = new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (b: Buffer) => { text += b.toString(); if (text.length >= 11) resolve(text); });
    });
    stream.write('hello ');
    stream.write('world');
    assert.equal(await got, 'hello world');
    // A read is now blocked in the kernel: destroy must not close the fd under it.
    stream.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(fstatSync(fd).isFIFO());
    const writer = openSync(fifo, 'w');
    writeSync(writer, 'x');
    closeSync(writer);
    for (let i = 0; i < 100; i++) {
      try { fstatSync(fd); } catch { return; }
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail('the fd was not closed after the blocked read returned');
  });

  it('ends on a read of 0 bytes (host not connected) and closes its fd', async () => {
    const file = join(dir, 'data');
    writeFileSync(file, 'abc');
    const fd = openSync(file, 'r+');
    const stream = new CharDeviceStream(fd);
    let text = '';
    stream.on('data', (b: Buffer) => { text += b.toString(); });
    await new Promise((r) => stream.on('end', r));
    stream.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(text, 'abc');
    assert.equal(stream.bytesIn, 3);
    assert.throws(() => fstatSync(fd), /EBADF/);
  });
});
