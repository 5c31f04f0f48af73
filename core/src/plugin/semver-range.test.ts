// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { satisfies } from './semver-range';

describe('satisfies (plugin apiVersion ranges)', () => {
  const cases: Array<[string, string, boolean | undefined]> = [
    ['1.0.0', '^1.0.0', true], ['1.4.2', '^1.0.0', true], ['2.0.0', '^1.0.0', false], ['0.9.9', '^1.0.0', false],
    ['0.2.5', '^0.2.0', true], ['0.3.0', '^0.2.0', false], ['1.2.9', '~1.2.0', true], ['1.3.0', '~1.2.0', false],
    ['1.5.0', '>=1.0.0 <2.0.0', true], ['2.0.0', '>=1.0.0 <2.0.0', false], ['1.0.0', '1.x', true], ['1.0.0', '*', true],
    ['2.1.0', '^1.0.0 || ^2.0.0', true], ['1.0.0', '1.0.0', true], ['1.0.1', '1.0.0', false], ['1.0.0', 'banana', undefined],
  ];
  for (const [v, range, want] of cases) {
    it(`${v} ${want ? 'satisfies' : want === false ? 'does not satisfy' : 'cannot be checked against'} ${range}`, () => {
      assert.equal(satisfies(v, range), want);
    });
  }
});
