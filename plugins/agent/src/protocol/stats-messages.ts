// SPDX-License-Identifier: Apache-2.0
import type { ProtoReader, ProtoWriter } from '@cella/core/ttrpc';
import { decodeBounded, LEN, protocolError, pushBounded, readString, VARINT, writer } from './wire-limits';

/*
 * StatsContainer, with Kata's messages and field numbers (agent.proto: StatsContainerResponse, CgroupStats,
 * CpuStats, MemoryStats, PidsStats, BlkioStats, HugetlbStats). Every counter is a uint64, kept as a bigint.
 * Left out: `network_stats` (2) is never sent; `CpuUsage.percpu_usage` (2) and BlkioStats fields 3-8 (cgroup v2
 * has no such counters); `MemoryStats.use_hierarchy` (5) is sent as true and not decoded (always true on v2).
 * DEVIATION from Kata: `CgroupStats.memory_events`=100 (Cella) carries cgroup v2's memory.events counters,
 * from which the host tells OOM kills (Kata has a separate blocking `GetOOMEvent` call instead).
 * The request is Kata's `StatsContainerRequest` { container_id=1 } (encodeContainerRef).
 */

/** `percpu_usage` (2) is left out: cgroup v2 has no per-CPU counters. */
export interface CpuUsage { totalUsage: bigint; usageInKernelmode: bigint; usageInUsermode: bigint }
export interface ThrottlingData { periods: bigint; throttledPeriods: bigint; throttledTime: bigint }
export interface MemoryData { usage: bigint; maxUsage: bigint; failcnt: bigint; limit: bigint }
export interface MemoryStats { cache: bigint; usage: MemoryData; swapUsage: MemoryData; kernelUsage: MemoryData; stats: Map<string, bigint> }
export interface BlkioEntry { major: bigint; minor: bigint; op: string; value: bigint }
export interface BlkioStats { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] }
export interface HugetlbStats { usage: bigint; maxUsage: bigint; failcnt: bigint }
/** cgroup v2 memory.events. */
export interface MemoryEvents { low: bigint; high: bigint; max: bigint; oom: bigint; oomKill: bigint }

/** What the guest knows of a container's cgroup (all zero before the container runs). */
export interface CgroupStats {
  cpu: { usage: CpuUsage; throttling: ThrottlingData };
  memory: MemoryStats;
  pids: { current: bigint; limit: bigint };
  blkio: BlkioStats;
  /** Page size ("2MB") → stats. */
  hugetlb: Map<string, HugetlbStats>;
  memoryEvents: MemoryEvents;
}

const memoryData = (): MemoryData => ({ usage: 0n, maxUsage: 0n, failcnt: 0n, limit: 0n });

export function emptyCgroupStats(): CgroupStats {
  return {
    cpu: { usage: { totalUsage: 0n, usageInKernelmode: 0n, usageInUsermode: 0n }, throttling: { periods: 0n, throttledPeriods: 0n, throttledTime: 0n } },
    memory: { cache: 0n, usage: memoryData(), swapUsage: memoryData(), kernelUsage: memoryData(), stats: new Map() },
    pids: { current: 0n, limit: 0n },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: new Map(),
    memoryEvents: { low: 0n, high: 0n, max: 0n, oom: 0n, oomKill: 0n },
  };
}

/** Kata `StatsContainerResponse` { cgroup_stats=1 }. */
export function encodeStatsContainerResponse(s: CgroupStats): Buffer {
  const cpu = writer()
    .message(1, writer().uint64(1, s.cpu.usage.totalUsage).uint64(3, s.cpu.usage.usageInKernelmode).uint64(4, s.cpu.usage.usageInUsermode))
    .message(2, writer().uint64(1, s.cpu.throttling.periods).uint64(2, s.cpu.throttling.throttledPeriods).uint64(3, s.cpu.throttling.throttledTime));
  const mem = writer().uint64(1, s.memory.cache).message(2, memData(s.memory.usage)).message(3, memData(s.memory.swapUsage))
    .message(4, memData(s.memory.kernelUsage)).bool(5, true);
  for (const [k, v] of s.memory.stats) mem.message(6, writer().string(1, k).uint64(2, v));
  const blkio = writer();
  for (const e of s.blkio.ioServiceBytesRecursive) blkio.message(1, blkioEntry(e));
  for (const e of s.blkio.ioServicedRecursive) blkio.message(2, blkioEntry(e));
  const cg = writer().message(1, cpu).message(2, mem).message(3, writer().uint64(1, s.pids.current).uint64(2, s.pids.limit)).message(4, blkio);
  for (const [k, v] of s.hugetlb) cg.message(5, writer().string(1, k).message(2, writer().uint64(1, v.usage).uint64(2, v.maxUsage).uint64(3, v.failcnt)));
  const ev = s.memoryEvents;
  cg.message(100, writer().uint64(1, ev.low).uint64(2, ev.high).uint64(3, ev.max).uint64(4, ev.oom).uint64(5, ev.oomKill));
  return writer().message(1, cg).finish();
}

export function decodeStatsContainerResponse(buf: Uint8Array): CgroupStats {
  const s = emptyCgroupStats();
  decodeBounded('StatsContainerResponse', buf, s, (r, f, wt) => f === 1 && wt === LEN && sub('CgroupStats', r, (r2, f2, wt2) => {
    if (wt2 !== LEN) return false;
    switch (f2) {
      case 1: return sub('CpuStats', r2, (r3, f3, wt3) => {
        if (f3 === 1 && wt3 === LEN) return sub('CpuUsage', r3, (r4, f4, wt4) => setU64(r4, f4, wt4, s.cpu.usage, CPU_USAGE));
        if (f3 === 2 && wt3 === LEN) return sub('ThrottlingData', r3, (r4, f4, wt4) => setU64(r4, f4, wt4, s.cpu.throttling, THROTTLING));
        return false;
      });
      case 2: return sub('MemoryStats', r2, (r3, f3, wt3) => decodeMemory(r3, f3, wt3, s.memory));
      case 3: return sub('PidsStats', r2, (r3, f3, wt3) => setU64(r3, f3, wt3, s.pids, ['current', 'limit']));
      case 4: return sub('BlkioStats', r2, (r3, f3, wt3) => {
        const list = f3 === 1 ? s.blkio.ioServiceBytesRecursive : f3 === 2 ? s.blkio.ioServicedRecursive : undefined;
        if (!list || wt3 !== LEN) return false;
        const e: BlkioEntry = { major: 0n, minor: 0n, op: '', value: 0n };
        sub('BlkioStatsEntry', r3, (r4, f4, wt4) => {
          if (f4 !== 3 || wt4 !== LEN) return setU64(r4, f4, wt4, e, ['major', 'minor', undefined, 'value']);
          e.op = readString(r4, 'op', 64);
          return true;
        });
        pushBounded(list, e, 'blkio');
        return true;
      });
      case 5: return decodeHugetlb(r2, s.hugetlb);
      case 100: return sub('MemoryEvents', r2, (r3, f3, wt3) => setU64(r3, f3, wt3, s.memoryEvents, ['low', 'high', 'max', 'oom', 'oomKill']));
      default: return false;
    }
  }));
  return s;
}

const CPU_USAGE: ReadonlyArray<keyof CpuUsage | undefined> = ['totalUsage', undefined, 'usageInKernelmode', 'usageInUsermode'];
const THROTTLING: ReadonlyArray<keyof ThrottlingData> = ['periods', 'throttledPeriods', 'throttledTime'];
const MAX_MAP_ENTRIES = 256;

/** One entry of `map<string, HugetlbStats> hugetlb_stats` (key=1, value=2). */
function decodeHugetlb(r: ProtoReader, into: Map<string, HugetlbStats>): true {
  let key = '';
  const h: HugetlbStats = { usage: 0n, maxUsage: 0n, failcnt: 0n };
  sub('HugetlbStatsEntry', r, (r2, f, wt) => {
    if (f === 1 && wt === LEN) { key = readString(r2, 'hugetlb key', 64); return true; }
    if (f === 2 && wt === LEN) return sub('HugetlbStats', r2, (r3, f3, wt3) => setU64(r3, f3, wt3, h, ['usage', 'maxUsage', 'failcnt']));
    return false;
  });
  if (into.size >= MAX_MAP_ENTRIES && !into.has(key)) throw protocolError('A map field has more entries than allowed', { field: 'hugetlb_stats', max: MAX_MAP_ENTRIES });
  into.set(key, h);
  return true;
}

function decodeMemory(r: ProtoReader, f: number, wt: number, m: MemoryStats): boolean {
  const data = f === 2 ? m.usage : f === 3 ? m.swapUsage : f === 4 ? m.kernelUsage : undefined;
  if (data && wt === LEN) return sub('MemoryData', r, (r2, f2, wt2) => setU64(r2, f2, wt2, data, ['usage', 'maxUsage', 'failcnt', 'limit']));
  if (f === 6 && wt === LEN) {
    let key = '';
    let value = 0n;
    sub('MemoryStatsEntry', r, (r2, f2, wt2) => {
      if (f2 === 1 && wt2 === LEN) key = readString(r2, 'memory stat key', 128);
      else if (f2 === 2 && wt2 === VARINT) value = r2.uint64();
      else return false;
      return true;
    });
    if (m.stats.size >= MAX_MAP_ENTRIES && !m.stats.has(key)) throw protocolError('A map field has more entries than allowed', { field: 'stats', max: MAX_MAP_ENTRIES });
    m.stats.set(key, value);
    return true;
  }
  return f === 1 ? setU64(r, f, wt, m, ['cache']) : false;
}

/** Reads an embedded message field by field (unknown fields skipped). */
function sub(name: string, r: ProtoReader, onField: (r: ProtoReader, field: number, wireType: number) => boolean): true {
  decodeBounded(name, r.bytes(), undefined, (r2, f, wt) => onField(r2, f, wt));
  return true;
}

/** Sets `obj[keys[field-1]]` from a varint field; false (skip) for any other field. */
function setU64<T extends object>(r: ProtoReader, field: number, wt: number, obj: T, keys: ReadonlyArray<keyof T | undefined>): boolean {
  const key = keys[field - 1];
  if (key === undefined || wt !== VARINT) return false;
  (obj as Record<keyof T, bigint>)[key] = r.uint64();
  return true;
}

function memData(d: MemoryData): ProtoWriter {
  return writer().uint64(1, d.usage).uint64(2, d.maxUsage).uint64(3, d.failcnt).uint64(4, d.limit);
}

function blkioEntry(e: BlkioEntry): ProtoWriter {
  return writer().uint64(1, e.major).uint64(2, e.minor).string(3, e.op).uint64(4, e.value);
}
