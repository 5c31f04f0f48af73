// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { emptyCgroupStats, type CgroupStats } from '@cella/agent';
import { goJsonBig, oomEventLine, runcStats, statsEventLine } from './runc-events';

const MAX = (1n << 64n) - 1n;

function busy(): CgroupStats {
  const s = emptyCgroupStats();
  s.cpu.usage = { totalUsage: 2_937_485_000n, usageInKernelmode: 89_881_000n, usageInUsermode: 2_847_604_000n };
  s.memory.cache = 1_581_056n;
  s.memory.usage = { usage: 2_031_616n, maxUsage: 0n, failcnt: 0n, limit: MAX };
  s.memory.swapUsage = { usage: 2_031_616n, maxUsage: 0n, failcnt: 0n, limit: MAX };
  s.memory.stats = new Map([['pgfault', 119n], ['anon', 57_344n], ['file', 1_581_056n]]);
  s.pids = { current: 2n, limit: 0n };
  s.blkio.ioServiceBytesRecursive = [{ major: 254n, minor: 16n, op: 'Read', value: 4096n }, { major: 254n, minor: 16n, op: 'Write', value: 0n }];
  return s;
}

/** Keys in order, as JSON.parse keeps them (no integer-like keys in these objects). */
function keys(json: string, ...path: string[]): string[] {
  let v = JSON.parse(json) as Record<string, unknown>;
  for (const p of path) v = v[p] as Record<string, unknown>;
  return Object.keys(v);
}

describe('runc events output', () => {
  it('puts types.Stats fields in runc 1.1.5\'s declaration order', () => {
    const line = statsEventLine('c1', busy());
    assert.deepEqual(keys(line), ['type', 'id', 'data']);
    assert.deepEqual(keys(line, 'data'), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
    assert.deepEqual(keys(line, 'data', 'cpu'), ['usage', 'throttling']);
    assert.deepEqual(keys(line, 'data', 'cpu', 'usage'), ['total', 'kernel', 'user']);
    assert.deepEqual(keys(line, 'data', 'memory'), ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw']);
    assert.deepEqual(keys(line, 'data', 'memory', 'usage'), ['limit', 'usage', 'failcnt']);
    assert.deepEqual(keys(line, 'data', 'cpuset'), ['cpu_exclusive', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page',
      'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level']);
    assert.ok(line.endsWith('}}\n'), 'one line, newline-terminated, as json.Encoder');
    assert.equal(line.split('\n').length, 2);
  });

  it('writes uint64 counters exactly (2^64-1 for "no limit"), omits zero omitempty fields and sorts map keys', () => {
    const line = statsEventLine('c1', busy());
    assert.ok(line.includes('"usage":{"limit":18446744073709551615,"usage":2031616,"failcnt":0}'), line);
    assert.ok(line.includes('"raw":{"anon":57344,"file":1581056,"pgfault":119}'), 'memory.stat keys sorted as Go sorts map keys');
    assert.ok(line.includes('"pids":{"current":2}'), 'pids.limit 0 is left out');
    assert.ok(line.includes('"ioServiceBytesRecursive":[{"major":254,"minor":16,"op":"Read","value":4096},{"major":254,"minor":16,"op":"Write"}]'));
    assert.ok(line.includes('"kernelTCP":{"limit":0,"failcnt":0}'));
    assert.ok(line.endsWith('"hugetlb":{},"intel_rdt":{},"network_interfaces":null}}\n'));
  });

  it('prints a container that has not run yet with runc\'s empty shape', () => {
    assert.equal(goJsonBig(runcStats(emptyCgroupStats())), '{"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},'
      + '"cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,'
      + '"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},"memory":{"usage":{"limit":0,"failcnt":0},'
      + '"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},"pids":{},"blkio":{},'
      + '"hugetlb":{},"intel_rdt":{},"network_interfaces":null}');
  });

  it('prints an oom event without data, and escapes the id as Go does', () => {
    assert.equal(oomEventLine('c1'), '{"type":"oom","id":"c1"}\n');
    assert.equal(goJsonBig({ id: 'a<b>&' }), '{"id":"a\\u003cb\\u003e\\u0026"}');
  });
});
