// SPDX-License-Identifier: Apache-2.0
/**
 * The network section of `npm run bench` (issue #4): TCP throughput both ways and ping latency between a peer
 * namespace and a container on the pod network, per network plugin and queue count (net-variant.ts), and
 * what attach + detach add to `cella run`. TCG bounds the absolute numbers, so compare the ratios within one
 * run. Knobs: BENCH_NET_MIB, BENCH_NET_REPS, BENCH_NET_PINGS, BENCH_NET_RUNS (see NET_SETTINGS).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELLA, listTree, processesMentioning } from '../helpers/cella';
import {
  livePodNetworks, measureVariant, NET_SETTINGS, progress, VARIANTS, whyUnavailable, withPodNetwork, writeBundle, writeConfig,
  type Figures, type Variant,
} from './net-variant';

type Row = [string, string];

/** The settings of this run, for the section's title line. */
export const NETWORK_BENCH_SETTINGS = `${NET_SETTINGS.mib} MiB per transfer, median of ${NET_SETTINGS.reps} per direction, `
  + `${NET_SETTINGS.pings} pings, median of ${NET_SETTINGS.runs} runs for attach`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of one `cella run` (the container runs `true`). */
function timeRun(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CELLA, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`cella ${args.join(' ')} failed (${r.status ?? r.signal}): ${String(r.stderr).slice(0, 2000)}`);
  return ms;
}

/** `cella run` of `true` in the pod netns against the same bundle without a netns path (nothing attached), alternating. */
async function attachCost(work: string, root: string, config: string): Promise<{ withNet: number; without: number }> {
  return withPodNetwork(async (net) => {
    const joined = await writeBundle(join(work, 'true-netns'), ['true'], net.podPath);
    const alone = await writeBundle(join(work, 'true-alone'), ['true'], undefined);
    const withNet: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < NET_SETTINGS.runs; i++) {
      const t = Date.now();
      withNet.push(timeRun(['run', '--config', config, '--root', root, '--bundle', joined, `attach${i}`]));
      without.push(timeRun(['run', '--config', config, '--root', root, '--bundle', alone, `alone${i}`]));
      progress(`cella run true with and without network: ${withNet[i]!.toFixed(0)} and ${without[i]!.toFixed(0)} ms`, t);
    }
    return { withNet: median(withNet), without: median(without) };
  });
}

const ratio = (a: number, b: number): string => (a / b).toFixed(2);

function variantRows(v: Variant, f: Figures | undefined, missing: string | undefined): Row[] {
  const n = `net ${v.label}:`;
  if (!f) return [[`${n} TCP and ping`, missing ?? 'not measured']];
  const p = f.ping;
  const lost = p.received < p.sent ? ` (${p.sent - p.received} of ${p.sent} lost)` : '';
  return [
    [`${n} peer -> container TCP (Mbit/s)`, f.up.mbps.toFixed(1)],
    [`${n} container -> peer TCP (Mbit/s)`, f.down.mbps.toFixed(1)],
    [`${n} ping avg/min/max (ms)`, `${p.avgMs.toFixed(2)}/${p.minMs.toFixed(2)}/${p.maxMs.toFixed(2)}${lost}`],
  ];
}

function ratioRows(label: string, a: Figures | undefined, b: Figures | undefined): Row[] {
  if (!a || !b) return [[`net ${label}`, 'skipped: a side was not measured']];
  return [
    [`net ${label}, peer -> container TCP`, ratio(a.up.mbps, b.up.mbps)],
    [`net ${label}, container -> peer TCP`, ratio(a.down.mbps, b.down.mbps)],
    [`net ${label}, ping avg`, ratio(a.ping.avgMs, b.ping.avgMs)],
  ];
}

/** Ends any process still mentioning `root` (by its pid) and removes `work`; returns what was left behind. */
async function cleanUp(work: string, root: string): Promise<string[]> {
  const left = [...processesMentioning(root), ...listTree(root)];
  for (const line of left) {
    const pid = /^(\d+) /.exec(line)?.[1];
    if (pid) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
  }
  await fs.rm(work, { recursive: true, force: true });
  if (left.length > 0) process.stderr.write(`bench network: left behind (now removed):\n${left.join('\n')}\n`);
  return left;
}

/**
 * Runs the network section. A variant that fails is reported in its row (`failed: …`, the whole error on
 * stderr) and sets `failed`; the others still run. Every namespace, VM and file it made is gone when it
 * settles; anything it had left behind (then removed) also sets `failed`.
 */
export async function networkBench(): Promise<{ rows: Row[]; failed: boolean }> {
  for (const [knob, value] of Object.entries(NET_SETTINGS)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_NET_${knob.toUpperCase()} must be a whole number >= 1, not ${value}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'cella-bench-net-'));
  const root = join(work, 'root');
  let result: { rows: Row[]; failed: boolean };
  let left: string[] = [];
  // An interrupt skips the finally below: remove what exists now, then exit as interrupted.
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const net of livePodNetworks) {
      // The peer-side probes this bench started, found by the namespace they run in and ended by their ids.
      for (const ns of [net.peer, net.pod]) {
        const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter((p) => /^\d+$/.test(p)) ?? [];
        for (const pid of pids) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      }
      net.remove();
    }
    void cleanUp(work, root).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await fs.mkdir(root);
    result = await measureAll(work, root);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    left = await cleanUp(work, root);
  }
  return { rows: result.rows, failed: result.failed || left.length > 0 };
}

/** A failure: the whole error on stderr, its first line for the row. */
function failure(what: string, err: unknown): string {
  process.stderr.write(`bench network: ${what} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  return `failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
}

async function measureAll(work: string, root: string): Promise<{ rows: Row[]; failed: boolean }> {
  let failed = false;
  const figures = new Map<string, Figures>();
  const missing = new Map<string, string>();
  let tapConfig: string | undefined;
  for (const v of VARIANTS) {
    const config = await writeConfig(work, v);
    if (v.label === 'tap 1q') tapConfig = config;
    const why = whyUnavailable(config, v.configKey);
    if (why) { missing.set(v.label, `skipped: ${why}`); continue; }
    try {
      figures.set(v.label, await measureVariant(work, root, v, config));
    } catch (err) {
      failed = true;
      missing.set(v.label, failure(v.label, err));
    }
  }
  let attach: Row[];
  if (missing.get('tap 1q')?.startsWith('skipped')) {
    attach = [['net attach+detach', missing.get('tap 1q')!]];
  } else {
    try {
      const cost = await attachCost(work, root, tapConfig!);
      attach = [
        ['net cella run true, pod netns + tap 1q (median ms)', cost.withNet.toFixed(0)],
        ['net cella run true, no network (median ms)', cost.without.toFixed(0)],
        ['net attach+detach adds (ms)', (cost.withNet - cost.without).toFixed(0)],
      ];
    } catch (err) {
      failed = true;
      attach = [['net attach+detach', failure('attach+detach', err)]];
    }
  }
  const g = (l: string): Figures | undefined => figures.get(l);
  const rows: Row[] = [
    ...VARIANTS.flatMap((v) => variantRows(v, g(v.label), missing.get(v.label))),
    ...ratioRows('tap-2q / tap-1q', g('tap 2q'), g('tap 1q')),
    ...ratioRows('macvtap-1q / tap-1q', g('macvtap 1q'), g('tap 1q')),
    ...ratioRows('macvtap-2q / tap-2q', g('macvtap 2q'), g('tap 2q')),
    ...attach,
  ];
  return { rows, failed };
}
