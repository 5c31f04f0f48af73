// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { OutputBuffer } from './output-buffer';

describe('OutputBuffer', () => {
  it('applies backpressure to a real process instead of dropping: holds at most limit + one chunk, delivers every byte in order', async () => {
    const total = 3 * 1024 * 1024;
    // 3 MiB of a counting pattern, written as fast as the pipe takes it.
    const child = spawn('/bin/sh', ['-c', `seq -f '%07g' 0 500000 | head -c ${total}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const limit = 256 * 1024;
    const buf = new OutputBuffer(child.stdout, limit);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(buf.buffered >= limit, `buffered ${buf.buffered}`);
    assert.ok(buf.buffered <= limit + 64 * 1024, `buffered ${buf.buffered} over the bound`);
    const parts: Buffer[] = [];
    for (let d = await buf.read(100_000); d; d = await buf.read(100_000)) {
      assert.ok(d.length <= 100_000);
      parts.push(d);
    }
    const all = Buffer.concat(parts);
    assert.equal(all.length, total);
    let expected = '';
    for (let i = 0; expected.length < total; i++) expected += `${String(i).padStart(7, '0')}\n`;
    assert.ok(all.equals(Buffer.from(expected.slice(0, total))), 'bytes differ');
    assert.ok(buf.drained);
  });

  it('long-polls: a read waits for data, then answers end of stream only after the buffer is drained', async () => {
    const s = new PassThrough();
    const buf = new OutputBuffer(s, 1024);
    const pending = buf.read(10);
    let settled = false;
    void pending.then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false);
    s.write('hello world');
    assert.equal((await pending)?.toString(), 'hello worl');
    s.end();
    assert.equal((await buf.read(10))?.toString(), 'd');
    assert.equal(await buf.read(10), undefined);
  });

  it('drops an aborted read without consuming data', async () => {
    const s = new PassThrough();
    const buf = new OutputBuffer(s, 1024);
    const ctrl = new AbortController();
    const aborted = buf.read(10, ctrl.signal);
    ctrl.abort();
    assert.equal(await aborted, undefined);
    s.write('abc');
    assert.equal((await buf.read(10))?.toString(), 'abc');
  });
});
