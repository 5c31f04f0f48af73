// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { constants } from 'node:os';
import { DEFAULT_KILL_SIGNAL, exitStatusForSignal, goQuote, parseSignal, SIGNAL_NUMBERS, signalName } from './signals';

const osSignals = constants.signals as Record<string, number>;

// Which names real runc accepts is checked against runc itself in runc-differential.int.test.ts.
describe('parseSignal (runc kill SIGNAL)', () => {
  it('gives every name the number this kernel uses for it', () => {
    for (const [name, n] of SIGNAL_NUMBERS) assert.equal(n, osSignals[name], name);
    assert.equal(SIGNAL_NUMBERS.size, 31);
  });

  it('accepts a name with or without SIG, in any case', () => {
    for (const raw of ['TERM', 'SIGTERM', 'sigterm', 'term', 'SigTerm']) assert.equal(parseSignal(raw), osSignals.SIGTERM, raw);
    assert.equal(parseSignal('kill'), osSignals.SIGKILL);
    assert.equal(parseSignal('sigkill'), osSignals.SIGKILL);
    assert.equal(parseSignal('usr1'), osSignals.SIGUSR1);
  });

  it('upper-cases as Go does (simple case mapping), so the long s counts as S', () => {
    assert.equal(parseSignal('\u017figkill'), osSignals.SIGKILL);
  });

  it('sends SIGTERM when no signal is given', () => {
    assert.equal(parseSignal(undefined), osSignals.SIGTERM);
    assert.equal(parseSignal(''), osSignals.SIGTERM);
    assert.equal(DEFAULT_KILL_SIGNAL, osSignals.SIGTERM);
  });

  it('takes decimal numbers as they are, signed ones too, without a range check (as Go\'s Atoi)', () => {
    assert.equal(parseSignal('9'), 9);
    assert.equal(parseSignal('09'), 9);
    assert.equal(parseSignal('+15'), 15);
    assert.equal(parseSignal('0'), 0);
    assert.equal(parseSignal('99'), 99);
    assert.equal(parseSignal('-1'), -1);
  });

  it('refuses unknown names, aliases runc lacks and malformed numbers with runc\'s text', () => {
    for (const raw of ['FOO', 'SIGIOT', 'POLL', 'SIGRTMIN', 'SIGRTMIN+1', '9.0', '0x9', ' 9', '99999999999999999999']) {
      assert.throws(() => parseSignal(raw), (e: Error & { code: string; details: Record<string, unknown> }) => {
        assert.equal(e.code, 'E_OCI_SIGNAL');
        assert.equal(e.message, `unknown signal ${JSON.stringify(raw)}`);
        assert.equal(e.details.signal, raw);
        return true;
      }, raw);
    }
  });

  it('quotes the argument as Go\'s %q in the message', () => {
    assert.throws(() => parseSignal('a"b\\c\n\x01'), { message: 'unknown signal "a\\"b\\\\c\\n\\x01"' });
    assert.equal(goQuote('\u00e9\u200b\x7f'), '"\u00e9\\u200b\\x7f"');
  });

  it('names signals for messages and turns them into exit statuses', () => {
    assert.equal(signalName(osSignals.SIGKILL!), 'SIGKILL');
    assert.equal(signalName(40), 'signal 40');
    assert.equal(exitStatusForSignal(osSignals.SIGKILL!), 137);
    assert.equal(exitStatusForSignal(osSignals.SIGTERM!), 143);
  });
});
