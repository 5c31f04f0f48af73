// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { jsonErrorOffset, lineColumn } from './json-error-offset';

describe('jsonErrorOffset', () => {
  it('finds no error in documents JSON.parse accepts', () => {
    for (const text of ['{}', ' [1, -2.5e3, "a\\u00e9\\n", true, null, {"x": []}] ', '"s"', '0']) {
      JSON.parse(text);
      assert.equal(jsonErrorOffset(text), -1, text);
    }
  });

  it('points at the first offending character of broken documents', () => {
    const cases: [string, number][] = [
      ['{"a": tru}', 6],
      ['{"a": 1,}', 8],
      ['{"a" 1}', 5],
      ['[1 2]', 3],
      ['{"a": "x\ny"}', 8],
      ['{"a": 1} x', 9],
      ['{"a": ', 6],
      ['', 0],
    ];
    for (const [text, offset] of cases) {
      assert.throws(() => JSON.parse(text));
      assert.equal(jsonErrorOffset(text), offset, JSON.stringify(text));
    }
  });
});

describe('lineColumn', () => {
  it('counts lines and columns from 1', () => {
    assert.deepEqual(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
  });
});
