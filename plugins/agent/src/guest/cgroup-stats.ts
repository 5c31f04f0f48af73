// SPDX-License-Identifier: Apache-2.0
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentErrors } from '../agent-errors';
import { emptyCgroupStats, type BlkioEntry, type CgroupStats } from '../protocol/stats-messages';

/** The cgroup v2 files a container's stats come from (the guest mounts only cgroup2, at /sys/fs/cgroup). */
export const CGROUP_V2_FILES = [
  'cpu.stat', 'memory.stat', 'memory.current', 'memory.max', 'memory.peak', 'memory.swap.current', 'memory.swap.max',
  'memory.events', 'pids.current', 'pids.max', 'cgroup.procs', 'io.stat',
] as const;

export type CgroupV2File = (typeof CGROUP_V2_FILES)[number];

/** The files' text; a file that does not exist (its controller is not enabled) is left out. */
export interface CgroupV2Texts {
  files: Partial<Record<CgroupV2File, string>>;
  /** Page size ("2MB") → the text of `hugetlb.<size>.current` and `hugetlb.<size>.events`. */
  hugetlb?: Map<string, { current: string; events?: string }>;
}

/** What the kernel writes for "no limit"; runc reads it as the largest uint64. */
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * cgroup v2 file text → Kata's CgroupStats, read the way runc 1.1.5 reads them (libcontainer/cgroups/fs2), so that
 * the host can print runc's `events` JSON: CPU times in ns (the files say µs), the limit "max" as 2^64-1 for
 * memory and as 0 for pids, swap reported as memory+swap (cgroup v1's meaning), memory.stat's `file` as the cache.
 * Beyond runc 1.1.5: `memory.peak` (kernel 5.19+) fills the usage max; memory.events is passed on for OOM events.
 */
export function parseCgroupV2({ files, hugetlb }: CgroupV2Texts): CgroupStats {
  const s = emptyCgroupStats();
  if (files['pids.current'] !== undefined) {
    s.pids.current = single(files['pids.current'], 'pids.current');
    const max = files['pids.max']?.trim();
    s.pids.limit = max === undefined || max === 'max' ? 0n : single(max, 'pids.max');
  } else if (files['cgroup.procs'] !== undefined) {
    // No pids controller: count the processes, as runc does.
    s.pids.current = BigInt(files['cgroup.procs'].split('\n').filter((l) => l.trim() !== '').length);
  }
  if (files['memory.stat'] !== undefined) {
    const m = s.memory;
    m.stats = keyed(files['memory.stat'], 'memory.stat');
    m.cache = m.stats.get('file') ?? 0n;
    m.usage.usage = single(files['memory.current'] ?? '0', 'memory.current');
    m.usage.limit = single(files['memory.max'] ?? '0', 'memory.max');
    if (files['memory.peak'] !== undefined) m.usage.maxUsage = single(files['memory.peak'], 'memory.peak');
    // No swap accounting: runc reports zero swap, then adds memory to it as below.
    if (files['memory.swap.current'] !== undefined) {
      m.swapUsage.usage = single(files['memory.swap.current'], 'memory.swap.current');
      m.swapUsage.limit = single(files['memory.swap.max'] ?? '0', 'memory.swap.max');
    }
    m.swapUsage.usage = BigInt.asUintN(64, m.swapUsage.usage + m.usage.usage);
    if (m.swapUsage.limit !== UINT64_MAX) m.swapUsage.limit = BigInt.asUintN(64, m.swapUsage.limit + m.usage.limit);
  }
  if (files['memory.events'] !== undefined) {
    const ev = keyed(files['memory.events'], 'memory.events');
    s.memoryEvents = { low: ev.get('low') ?? 0n, high: ev.get('high') ?? 0n, max: ev.get('max') ?? 0n, oom: ev.get('oom') ?? 0n, oomKill: ev.get('oom_kill') ?? 0n };
  }
  if (files['cpu.stat'] !== undefined) {
    const cpu = keyed(files['cpu.stat'], 'cpu.stat');
    const ns = (k: string): bigint => (cpu.get(k) ?? 0n) * 1000n;
    s.cpu.usage = { totalUsage: ns('usage_usec'), usageInUsermode: ns('user_usec'), usageInKernelmode: ns('system_usec') };
    s.cpu.throttling = { periods: cpu.get('nr_periods') ?? 0n, throttledPeriods: cpu.get('nr_throttled') ?? 0n, throttledTime: ns('throttled_usec') };
  }
  if (files['io.stat'] !== undefined) parseIoStat(files['io.stat'], s);
  for (const [size, h] of hugetlb ?? []) {
    const failcnt = h.events === undefined ? 0n : (keyed(h.events, `hugetlb.${size}.events`).get('max') ?? 0n);
    s.hugetlb.set(size, { usage: single(h.current, `hugetlb.${size}.current`), maxUsage: 0n, failcnt });
  }
  return s;
}

/** `MAJ:MIN rbytes=… wbytes=… rios=… wios=… …` → runc's v1-style tables (bytes and ios, Read and Write). */
function parseIoStat(text: string, s: CgroupStats): void {
  for (const line of text.split('\n')) {
    const [dev, ...items] = line.trim().split(/\s+/);
    const mm = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!mm) continue;
    for (const item of items) {
      const [key, value] = item.split('=');
      const table = key === 'rbytes' || key === 'wbytes' ? s.blkio.ioServiceBytesRecursive
        : key === 'rios' || key === 'wios' ? s.blkio.ioServicedRecursive : undefined;
      if (!table || value === undefined) continue;
      const entry: BlkioEntry = { major: BigInt(mm[1]!), minor: BigInt(mm[2]!), op: key!.startsWith('r') ? 'Read' : 'Write', value: number(value, 'io.stat') };
      if (table.length < 512) table.push(entry);
    }
  }
}

/** A one-value file; "max" is the largest uint64. */
function single(text: string, file: string): bigint {
  const t = text.trim();
  return t === 'max' ? UINT64_MAX : number(t, file);
}

/** `key value` lines. */
function keyed(text: string, file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) continue;
    if (out.size < 256) out.set(parts[0]!, parts[1] === 'max' ? UINT64_MAX : number(parts[1]!, file));
  }
  return out;
}

function number(t: string, file: string): bigint {
  if (!/^\d{1,20}$/.test(t) || BigInt(t) > UINT64_MAX) {
    throw AgentErrors.AGENT_CGROUP_STATS.create('A cgroup file holds something other than a number', { details: { file, value: t.slice(0, 64) } });
  }
  return BigInt(t);
}

/**
 * Reads the stats files of the cgroup folder `dir`, or returns undefined when the folder does not exist (the
 * container has not been run by crun yet, or crun has removed it).
 */
export async function readCgroupV2(dir: string): Promise<CgroupStats | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cgroupError(dir, err);
  }
  const texts: CgroupV2Texts = { files: {}, hugetlb: new Map() };
  const read = async (name: string): Promise<string | undefined> => {
    if (!names.includes(name)) return undefined;
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      // The cgroup went away between readdir and read: as if the file were not there.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENODEV') return undefined;
      throw cgroupError(join(dir, name), err);
    }
  };
  for (const f of CGROUP_V2_FILES) {
    const t = await read(f);
    if (t !== undefined) texts.files[f] = t;
  }
  for (const name of names) {
    const m = /^hugetlb\.([^.]+)\.current$/.exec(name);
    const current = m ? await read(name) : undefined;
    if (m && current !== undefined) texts.hugetlb!.set(m[1]!, { current, events: await read(`hugetlb.${m[1]}.events`) });
  }
  return parseCgroupV2(texts);
}

function cgroupError(path: string, cause: unknown): Error {
  return AgentErrors.AGENT_CGROUP_STATS.create('The container\'s cgroup could not be read', { details: { path }, cause });
}
