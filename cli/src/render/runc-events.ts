// SPDX-License-Identifier: Apache-2.0
import { goJsonString } from '@cella/core';
import type { CgroupStats } from '@cella/agent';

/**
 * `runc events` output: one `types.Event` per line, `{"type":"stats","id":…,"data":types.Stats}` or
 * `{"type":"oom","id":…}`, byte for byte as runc 1.1.5 writes them for a container on cgroup v2 (the guest
 * mounts only cgroup2), with Go's json.Encoder (struct fields in declaration order, `omitempty` honoured, map keys
 * sorted). The counters come from the container's cgroup in the guest (Kata's StatsContainer).
 *
 * Always zero or empty, as with runc 1.1.5 on a cgroup v2 host: `cpu.usage.percpu*` (left out), `cpuset` (runc
 * reads it only on cgroup v1), `memory.kernel` and `memory.kernelTCP` (limit and failcnt 0), `memory.usage.failcnt`,
 * `blkio` tables other than ioServiceBytesRecursive and ioServicedRecursive, `hugetlb.*.max`, `intel_rdt` ({}),
 * `network_interfaces` (null). `memory.usage.max` is filled from memory.peak when the guest kernel has it (runc
 * 1.1.5 leaves it out). Before the container's process runs there is no cgroup: every counter is zero.
 */

/** A Go JSON value: a plain object is a struct (insertion order, undefined members left out), a Map a Go map. */
type GoValue = string | number | bigint | null | undefined | GoValue[] | ReadonlyMap<string, GoValue> | { [k: string]: GoValue };

/** `json.Marshal` of `v` (no indent), with uint64 counters kept exact as bigints. */
export function goJsonBig(v: GoValue): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goJsonBig).join(',')}]`;
  const entries = v instanceof Map
    ? [...(v as ReadonlyMap<string, GoValue>)].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    : Object.entries(v).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${goJsonString(k)}:${goJsonBig(x)}`).join(',')}}`;
}

/** `omitempty` for a number: left out when zero. */
const opt = (n: bigint): bigint | undefined => (n === 0n ? undefined : n);
const optList = <T>(l: T[]): T[] | undefined => (l.length === 0 ? undefined : l);

function memoryEntry(d: { limit: bigint; usage: bigint; maxUsage: bigint; failcnt: bigint }): GoValue {
  return { limit: d.limit, usage: opt(d.usage), max: opt(d.maxUsage), failcnt: d.failcnt };
}

function blkio(list: CgroupStats['blkio']['ioServiceBytesRecursive']): GoValue[] | undefined {
  return optList(list.map((e) => ({ major: opt(e.major), minor: opt(e.minor), op: e.op === '' ? undefined : e.op, value: opt(e.value) })));
}

/** runc's `types.Stats` (runc 1.1.5 types/events.go) for the guest's counters. */
export function runcStats(s: CgroupStats): GoValue {
  const m = s.memory;
  return {
    cpu: {
      usage: { total: opt(s.cpu.usage.totalUsage), kernel: s.cpu.usage.usageInKernelmode, user: s.cpu.usage.usageInUsermode },
      throttling: { periods: opt(s.cpu.throttling.periods), throttledPeriods: opt(s.cpu.throttling.throttledPeriods), throttledTime: opt(s.cpu.throttling.throttledTime) },
    },
    cpuset: {
      cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0,
      memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: {
      cache: opt(m.cache),
      usage: memoryEntry(m.usage),
      swap: memoryEntry(m.swapUsage),
      kernel: memoryEntry(m.kernelUsage),
      kernelTCP: memoryEntry({ limit: 0n, usage: 0n, maxUsage: 0n, failcnt: 0n }),
      raw: m.stats.size === 0 ? undefined : m.stats,
    },
    pids: { current: opt(s.pids.current), limit: opt(s.pids.limit) },
    blkio: { ioServiceBytesRecursive: blkio(s.blkio.ioServiceBytesRecursive), ioServicedRecursive: blkio(s.blkio.ioServicedRecursive) },
    hugetlb: new Map([...s.hugetlb].map(([k, h]) => [k, { usage: opt(h.usage), max: opt(h.maxUsage), failcnt: h.failcnt }])),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** One `events` line (with its newline): a stats event. */
export function statsEventLine(id: string, s: CgroupStats): string {
  return `${goJsonBig({ type: 'stats', id, data: runcStats(s) })}\n`;
}

/** One `events` line (with its newline): an OOM kill (runc leaves `data` out). */
export function oomEventLine(id: string): string {
  return `${goJsonBig({ type: 'oom', id })}\n`;
}
