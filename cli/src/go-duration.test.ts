// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { parseGoDuration } from './go-duration';

describe('parseGoDuration (runc\'s --interval)', () => {
  it('reads what Go\'s time.ParseDuration reads, in milliseconds', () => {
    const cases: Array<[string, number]> = [['5s', 5000], ['1s', 1000], ['500ms', 500], ['1m30s', 90_000], ['1.5h', 5_400_000],
      ['-1s', -1000], ['+2s', 2000], ['0', 0], ['0s', 0], ['.5s', 500], ['1.s', 1000], ['250us', 0.25], ['250µs', 0.25], ['1000000ns', 1]];
    for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  });

  it('refuses what Go refuses (runc then says: invalid value "…" for flag -interval: parse error)', () => {
    for (const text of ['', 'bogus', '5', '1x', 's', '.s', '-', '1s5', '--1s']) assert.equal(parseGoDuration(text), undefined, text);
  });
});
