// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { parseCrunLog } from './crun-probe';

describe('parseCrunLog (crun --log-format=json)', () => {
  it('keeps the error messages, joined, and skips warnings and lines that are not JSON', () => {
    const log = [
      'partial line cut by the tail"}',
      '{"msg":"cannot set memory limit","level":"warning","time":"t"}',
      '{"msg":"invalid rlimit `RLIMIT_TEST`","level":"error","time":"t"}',
      '{"msg":"second","level":"error"}',
      '',
    ].join('\n');
    assert.equal(parseCrunLog(log), 'invalid rlimit `RLIMIT_TEST`; second');
  });

  it('says nothing for an empty log, and bounds and flattens what a hostile bundle could put in a message', () => {
    assert.equal(parseCrunLog(''), undefined);
    const long = parseCrunLog(`${JSON.stringify({ msg: `a\u001b[31m\nb${'x'.repeat(5000)}`, level: 'error' })}\n`)!;
    assert.ok(long.startsWith('a [31m b'), long.slice(0, 20));
    assert.equal(long.length, 1025);
    assert.ok(long.endsWith('…'));
  });
});
