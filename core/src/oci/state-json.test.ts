// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { goJson, goJsonString } from './go-json';
import { formatList, listEntry, ociStateJson, parseRfc3339Nano, rfc3339Nano, type OciContainerRecord } from './state-json';

const record = (over: Partial<OciContainerRecord> = {}): OciContainerRecord => ({
  ociVersion: '1.0.2-dev', id: 'c1', pid: 4242, status: 'running', bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-02T03:04:05.5Z', ...over,
});

// Byte-for-byte agreement with real `runc state`/`runc list` is checked in runc-differential.int.test.ts.
describe('ociStateJson and formatList (runc output formats)', () => {
  it('writes state with runc\'s keys in runc\'s order, 2-space indent, no trailing newline', () => {
    const text = ociStateJson(record({ annotations: { b: '2', a: '1' } }));
    assert.deepEqual(Object.keys(JSON.parse(text)), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    assert.ok(text.startsWith('{\n  "ociVersion": "1.0.2-dev",\n'), text);
    assert.ok(text.endsWith('\n}'), text);
    assert.equal(JSON.parse(text).owner, '');
    assert.deepEqual(Object.keys(JSON.parse(text).annotations), ['a', 'b']);
  });

  it('leaves annotations out when there are none, and prints pid 0 once stopped', () => {
    const state = JSON.parse(ociStateJson(record({ status: 'stopped', annotations: {} })));
    assert.equal('annotations' in state, false);
    assert.equal(state.pid, 0);
  });

  it('sorts annotation keys as Go sorts map keys, integer-like ones included', () => {
    const text = ociStateJson(record({ annotations: { 9: 'x', 10: 'y', B: 'z', a: 'w' } }));
    const keys = [...text.matchAll(/^ {4}"([^"]+)":/gm)].map((m) => m[1]);
    assert.deepEqual(keys, ['10', '9', 'B', 'a']);
  });

  it('lists ids only with -q, sorted', () => {
    const entries = [listEntry(record({ id: 'b' }), 'root'), listEntry(record({ id: 'a' }), 'root')];
    assert.equal(formatList(entries, 'table', true), 'a\nb\n');
    assert.equal(formatList([], 'json', true), '');
  });

  it('prints null for an empty JSON list and one compact line otherwise, owner included', () => {
    assert.equal(formatList([], 'json'), 'null\n');
    const out = formatList([listEntry(record(), 'root')], 'json');
    assert.ok(out.endsWith('}]\n') && !out.slice(0, -1).includes('\n'), out);
    assert.equal(JSON.parse(out)[0].owner, 'root');
  });

  it('aligns the table like Go\'s tabwriter: columns at least 12 wide, 3 spaces after the widest cell', () => {
    const long = '/a/bundle/path/longer/than/twelve';
    const out = formatList([listEntry(record({ bundle: long }), 'root'), listEntry(record({ id: 'two', status: 'stopped' }), 'root')], 'table');
    const lines = out.split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[3], '');
    assert.ok(lines[0]!.startsWith('ID          PID         STATUS      BUNDLE'), lines[0]);
    const createdAt = lines[0]!.indexOf('CREATED');
    assert.equal(createdAt, 36 + long.length + 3);
    assert.equal(lines[2]!.indexOf('2026'), createdAt);
    assert.ok(lines[2]!.startsWith('two         0           stopped'), lines[2]);
    assert.ok(lines[0]!.endsWith('OWNER') && lines[1]!.endsWith('root'));
  });

  it('writes times as Go\'s RFC3339Nano: trailing zeros cut, no fraction when whole', () => {
    assert.equal(rfc3339Nano(1_700_000_000_123_400_000n), '2023-11-14T22:13:20.1234Z');
    assert.equal(rfc3339Nano(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
    assert.equal(rfc3339Nano(new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 7))), '2024-02-29T23:59:59.007Z');
    for (const t of ['2026-11-25T22:49:46.467357145Z', '2026-11-25T22:49:46Z', '2026-11-25T22:49:46.00000001Z']) {
      assert.equal(rfc3339Nano(parseRfc3339Nano(t)), t);
    }
    assert.equal(parseRfc3339Nano('2026-01-01T01:00:00+01:00'), parseRfc3339Nano('2026-01-01T00:00:00Z'));
    assert.throws(() => parseRfc3339Nano('yesterday'), RangeError);
  });
});

describe('goJson (Go encoding/json text)', () => {
  it('matches JSON.stringify for plain values, compact and indented', () => {
    const v = { a: [1, 'x', true, { b: [] }, {}], c: { d: 'e f', n: -12 }, s: 'quote " back \\ nl \n tab \t é ☃ 😀' };
    assert.equal(goJson(v), JSON.stringify(v));
    assert.equal(goJson(v, '\t'), JSON.stringify(v, undefined, '\t'));
    assert.equal(goJson(v, '  '), JSON.stringify(v, undefined, 2));
  });

  it('escapes what Go escapes and JSON.stringify does not', () => {
    assert.equal(goJsonString('<a&b>'), '"\\u003ca\\u0026b\\u003e"');
    assert.equal(goJsonString('\u2028\u2029'), '"\\u2028\\u2029"');
    assert.equal(goJsonString('\b\f\x01\x1b\x7f'), '"\\u0008\\u000c\\u0001\\u001b\x7f"');
    assert.equal(goJsonString('x\ud800y'), '"x\\ufffdy"');
    for (const s of ['<&>', '\u2028', '\b\f\x01', 'x\ud800y']) assert.equal(JSON.parse(goJsonString(s)), s.replace(/\ud800/, '\ufffd'));
  });

  it('leaves out undefined struct members and sorts Map keys by bytes', () => {
    assert.equal(goJson({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(goJson(new Map([['é', '1'], ['z', '2'], ['10', '3'], ['9', '4']])), '{"10":"3","9":"4","z":"2","é":"1"}');
  });
});
