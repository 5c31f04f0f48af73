// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { E } from '../errors/codes';
import { JsonLogger, MAX_LOGGED_TEXT } from './logger';

describe('JsonLogger', () => {
  it('writes one JSON object per record with level, name, message, context and the error\'s code', () => {
    const lines: string[] = [];
    const log = new JsonLogger((l) => lines.push(l), 'info', { name: 'test' }).child({ sandbox: 's1' });
    log.debug('hidden');
    log.warn('disk slow', { err: E.TIMEOUT.create('It took too long', { details: { ms: 5 } }) });
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]!);
    assert.equal(rec.level, 'warn');
    assert.equal(rec.name, 'test');
    assert.equal(rec.sandbox, 's1');
    assert.equal(rec.msg, 'disk slow');
    assert.equal(rec.err.code, 'E_TIMEOUT');
  });

  it('bounds what it logs: long text, long lists and deep objects (the guest is untrusted)', () => {
    const lines: string[] = [];
    const log = new JsonLogger((l) => lines.push(l), 'debug');
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 10; i++) deep = { next: deep };
    log.info('guest said', { text: 'a'.repeat(10_000), list: Array.from({ length: 1000 }, (_, i) => i), deep, err: new Error('b'.repeat(5000)) });
    const rec = JSON.parse(lines[0]!);
    assert.ok(rec.text.length < MAX_LOGGED_TEXT + 32);
    assert.equal(rec.list.length, 32);
    assert.ok(lines[0]!.length < 4000, `line of ${lines[0]!.length} bytes`);
    assert.ok(rec.err.message.length < MAX_LOGGED_TEXT + 32);
  });

  it('survives a sink that throws', () => {
    const log = new JsonLogger(() => { throw new Error('EPIPE'); }, 'info');
    assert.doesNotThrow(() => log.error('still fine'));
  });
});
