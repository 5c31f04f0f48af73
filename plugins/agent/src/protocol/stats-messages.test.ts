// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { ProtoReader, ProtoWriter } from '@cella/core/ttrpc';
import * as P from './agent-messages';

const MAX = (1n << 64n) - 1n;

function sample(): P.CgroupStats {
  const s = P.emptyCgroupStats();
  s.cpu.usage = { totalUsage: 2_937_485_000n, usageInKernelmode: 89_881_000n, usageInUsermode: 2_847_604_000n };
  s.cpu.throttling = { periods: 12n, throttledPeriods: 3n, throttledTime: 4_000n };
  s.memory.cache = 1_581_056n;
  s.memory.usage = { usage: 2_031_616n, maxUsage: 2_097_152n, failcnt: 0n, limit: MAX };
  s.memory.swapUsage = { usage: 2_031_616n, maxUsage: 0n, failcnt: 0n, limit: MAX };
  s.memory.stats = new Map([['anon', 57_344n], ['file', 1_581_056n], ['pgfault', 119n], ['zero', 0n]]);
  s.pids = { current: 1n, limit: 4096n };
  s.blkio.ioServiceBytesRecursive = [{ major: 254n, minor: 16n, op: 'Read', value: 1_581_056n }, { major: 254n, minor: 16n, op: 'Write', value: 0n }];
  s.blkio.ioServicedRecursive = [{ major: 254n, minor: 16n, op: 'Read', value: 25n }];
  s.hugetlb = new Map([['2MB', { usage: 0n, maxUsage: 0n, failcnt: 1n }], ['1GB', { usage: 0n, maxUsage: 0n, failcnt: 0n }]]);
  s.memoryEvents = { low: 0n, high: 0n, max: 9n, oom: 2n, oomKill: 2n };
  return s;
}

/** The fields of one message, as (field number → raw values) for wire-layout checks. */
function fields(buf: Uint8Array): Map<number, Array<bigint | Buffer>> {
  const out = new Map<number, Array<bigint | Buffer>>();
  const r = new ProtoReader(buf);
  for (let k = r.next(); k; k = r.next()) {
    const v = k.wireType === 2 ? r.bytes() : r.uint64();
    out.set(k.field, [...(out.get(k.field) ?? []), v]);
  }
  return out;
}

describe('StatsContainer messages', () => {
  it('round-trip every counter exactly, 2^64-1 included', () => {
    const s = sample();
    assert.deepEqual(P.decodeStatsContainerResponse(P.encodeStatsContainerResponse(s)), s);
  });

  it('round-trip the all-zero stats of a container that has not run yet', () => {
    assert.deepEqual(P.decodeStatsContainerResponse(P.encodeStatsContainerResponse(P.emptyCgroupStats())), P.emptyCgroupStats());
  });

  it('use Kata\'s field numbers: cgroup_stats=1 → cpu_stats=1, memory_stats=2, pids_stats=3, blkio_stats=4, hugetlb_stats=5', () => {
    const top = fields(P.encodeStatsContainerResponse(sample()));
    assert.deepEqual([...top.keys()], [1]);
    const cg = fields(top.get(1)![0] as Buffer);
    assert.deepEqual([...cg.keys()], [1, 2, 3, 4, 5, 100]);
    const usage = fields(fields(cg.get(1)![0] as Buffer).get(1)![0] as Buffer);
    assert.deepEqual(usage.get(1), [2_937_485_000n], 'CpuUsage.total_usage=1');
    assert.deepEqual(usage.get(3), [89_881_000n], 'CpuUsage.usage_in_kernelmode=3');
    assert.deepEqual(usage.get(4), [2_847_604_000n], 'CpuUsage.usage_in_usermode=4');
    const mem = fields(cg.get(2)![0] as Buffer);
    assert.deepEqual(mem.get(1), [1_581_056n], 'MemoryStats.cache=1');
    assert.deepEqual(fields(mem.get(2)![0] as Buffer).get(4), [MAX], 'MemoryData.limit=4');
    assert.deepEqual(mem.get(5), [1n], 'use_hierarchy=5 is true on cgroup v2');
    assert.equal(mem.get(6)!.length, 4, 'one map entry per memory.stat key');
    const pids = fields(cg.get(3)![0] as Buffer);
    assert.deepEqual([pids.get(1), pids.get(2)], [[1n], [4096n]]);
    assert.equal(cg.get(5)!.length, 2, 'one hugetlb map entry per page size');
  });

  it('read what a Kata agent would send: unknown fields (network_stats, percpu_usage) are skipped', () => {
    const usage = new ProtoWriter().uint64(1, 5000n).uint64(2, 7n).uint64(2, 8n).uint64(4, 4000n);
    const cg = new ProtoWriter().message(1, new ProtoWriter().message(1, usage)).message(3, new ProtoWriter().uint64(1, 3n));
    const net = new ProtoWriter().string(1, 'eth0').uint64(2, 99n);
    const got = P.decodeStatsContainerResponse(new ProtoWriter().message(1, cg).message(2, net).finish());
    assert.equal(got.cpu.usage.totalUsage, 5000n);
    assert.equal(got.cpu.usage.usageInUsermode, 4000n);
    assert.equal(got.pids.current, 3n);
  });

  it('refuse a truncated answer and an answer with more map entries than allowed', () => {
    const buf = P.encodeStatsContainerResponse(sample());
    assert.throws(() => P.decodeStatsContainerResponse(buf.subarray(0, buf.length - 3)), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
    const mem = new ProtoWriter();
    for (let i = 0; i < 300; i++) mem.message(6, new ProtoWriter().string(1, `k${i}`).uint64(2, 1n));
    const big = new ProtoWriter().message(1, new ProtoWriter().message(2, mem)).finish();
    assert.throws(() => P.decodeStatsContainerResponse(big), (e: unknown) => isCellaError(e, 'E_AGENT_PROTOCOL'));
  });

  it('ask with Kata\'s StatsContainerRequest { container_id=1 }', () => {
    assert.deepEqual([...P.encodeContainerRef({ containerId: 'c1', execId: '' })], [0x0a, 2, 0x63, 0x31]);
    assert.equal(P.AgentMethod.StatsContainer, 'StatsContainer');
  });
});
