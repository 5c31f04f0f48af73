// SPDX-License-Identifier: Apache-2.0
/**
 * The network part of `npm run bench` (issue #4): TCP throughput both ways and ping latency between a peer
 * namespace and a container on the pod network, for each network plugin and queue count; and what attach +
 * detach add to `cella run`. TCG bounds the absolute numbers, so the ratios within one run are what to compare.
 * Knobs: BENCH_NET_MIB (MiB per transfer, 32), BENCH_NET_PINGS (20), BENCH_NET_RUNS (`cella run true` runs per
 * side of the attach figure, 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runUntilReady } from '../helpers/background-run';
import { CELLA, HELLO, listTree, processesMentioning } from '../helpers/cella';
import { PodNetwork } from '../helpers/pod-network';
import { containerListeners, ping, receiveFrom, sendTo, sourceBytes, type PingStats, type Transfer } from './net-probe';

type Row = [string, string];
const MIB = Number(process.env.BENCH_NET_MIB ?? 32);
const PINGS = Number(process.env.BENCH_NET_PINGS ?? 20);
const RUNS = Number(process.env.BENCH_NET_RUNS ?? 3);
const SINK = 7001;
const SOURCE = 7002;
const TRANSFER_TIMEOUT_MS = 90_000;

interface Variant { label: string; plugin: string; configKey: string; queues: number }
interface Figures { up: Transfer; down: Transfer; ping: PingStats }

const VARIANTS: Variant[] = [
  { label: 'tap 1q', plugin: '@cella/network-tap', configKey: 'network.tap', queues: 1 },
  { label: 'tap 2q', plugin: '@cella/network-tap', configKey: 'network.tap', queues: 2 },
  { label: 'macvtap 1q', plugin: '@cella/network-macvtap', configKey: 'network.macvtap', queues: 1 },
  { label: 'macvtap 2q', plugin: '@cella/network-macvtap', configKey: 'network.macvtap', queues: 2 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A config selecting the variant's plugin; two vCPUs in every variant so only the queue count differs. */
async function writeConfig(dir: string, v: Variant): Promise<string> {
  const file = join(dir, `${v.label.replace(/ /g, '-')}.toml`);
  await fs.writeFile(file, ['version = 1', '[sandbox]', 'default_vcpus = 2', '[network]', `plugin = "${v.plugin}"`,
    `[plugins."${v.configKey}"]`, `queues = ${v.queues}`, ''].join('\n'));
  return file;
}

/** Whether `cella plugins list`, with `config` selecting the plugin, shows it loaded as the network plugin. */
function pluginLoaded(config: string, id: string): boolean {
  const r = spawnSync(process.execPath, [CELLA, 'plugins', 'list', '--json', '--config', config], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  const rows = (JSON.parse(r.stdout) as { plugins: Array<{ id: string; role: string | null; status: string }> }).plugins;
  return rows.some((p) => p.id === id && p.role === 'network' && p.status === 'loaded');
}

/** A bundle from the hello rootfs running `args`, in the network namespace at `netns` (none: a new, empty one). */
async function writeBundle(dir: string, args: string[], netns: string | undefined): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const spec = JSON.parse(await fs.readFile(join(HELLO, 'config.json'), 'utf8'));
  spec.process.args = args;
  spec.root.path = join(HELLO, 'rootfs');
  const linux = spec.linux as { namespaces: Array<{ type: string; path?: string }> };
  linux.namespaces = [...linux.namespaces.filter((n) => n.type !== 'network'), { type: 'network', ...(netns ? { path: netns } : {}) }];
  await fs.writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** One variant: a fresh pod network, the container listening on it, then ping, peer → container, container → peer. */
async function measure(work: string, root: string, v: Variant, config: string): Promise<Figures> {
  const bytes = MIB * 1024 * 1024;
  const script = [
    `echo "QUEUES $(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"`,
    // The shell is pid 1: without a trap it would ignore the SIGTERM `cella run` forwards.
    "trap 'exit 7' TERM",
    ...containerListeners(SINK, SOURCE, bytes),
    'echo READY',
    'wait',
  ].join('\n');
  const net = new PodNetwork();
  try {
    const name = `bench-${v.label.replace(/ /g, '-')}`;
    const bundle = await writeBundle(join(work, name), ['sh', '-c', script], net.podPath);
    const run = await runUntilReady(['run', '--config', config, '--root', root, '--bundle', bundle, name]);
    let stopped = false;
    try {
      const queues = /^QUEUES (\d+)$/m.exec(run.output())?.[1];
      if (queues !== String(v.queues)) throw new Error(`${v.label}: the guest's eth0 has ${queues} queues\n${run.output()}`);
      const p = await ping(net, PINGS, 0.2);
      const up = await sendTo(net, SINK, bytes, TRANSFER_TIMEOUT_MS);
      const down = await receiveFrom(net, SOURCE, sourceBytes(bytes), TRANSFER_TIMEOUT_MS);
      const end = await run.stop();
      stopped = true;
      if (end.code !== 7) throw new Error(`${v.label}: cella run ended with ${end.code}, not the container's 7\n${end.stderr}`);
      return { up, down, ping: p };
    } finally {
      if (!stopped) await run.stop(10_000);
    }
  } finally {
    net.remove();
  }
}

/** Wall time of one `cella run` (the container runs `true`). */
function timeRun(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CELLA, ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`cella ${args.join(' ')} failed (${r.status ?? r.signal}): ${String(r.stderr).slice(0, 2000)}`);
  return ms;
}

/** `cella run` of `true` in the pod netns against the same without a network path (so nothing attached), alternating. */
async function attachCost(work: string, root: string, config: string): Promise<{ withNet: number; without: number }> {
  const net = new PodNetwork();
  try {
    const joined = await writeBundle(join(work, 'true-netns'), ['true'], net.podPath);
    const alone = await writeBundle(join(work, 'true-alone'), ['true'], undefined);
    const withNet: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      withNet.push(timeRun(['run', '--config', config, '--root', root, '--bundle', joined, `attach${i}`]));
      without.push(timeRun(['run', '--config', config, '--root', root, '--bundle', alone, `alone${i}`]));
    }
    return { withNet: median(withNet), without: median(without) };
  } finally {
    net.remove();
  }
}

const mbit = (t: Transfer): string => t.mbps.toFixed(1);
const ratio = (a: number, b: number): string => (a / b).toFixed(2);

function variantRows(v: Variant, f: Figures | undefined, skipped: string | undefined): Row[] {
  const n = `net ${v.label}:`;
  if (!f) return [[`${n} all figures`, `skipped: ${skipped}`]];
  const p = f.ping;
  return [
    [`${n} peer -> container TCP (Mbit/s)`, mbit(f.up)],
    [`${n} container -> peer TCP (Mbit/s)`, mbit(f.down)],
    [`${n} ping avg/min/max (ms)`, `${p.avgMs.toFixed(2)}/${p.minMs.toFixed(2)}/${p.maxMs.toFixed(2)}${p.received < p.sent ? ` (${p.sent - p.received} of ${p.sent} lost)` : ''}`],
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

/** Runs the network bench and returns its rows; every namespace, VM and file it made is gone when it settles. */
export async function networkBench(): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'cella-bench-net-'));
  const root = join(work, 'root');
  await fs.mkdir(root);
  let failed = false;
  try {
    const figures = new Map<string, Figures>();
    const skipped = new Map<string, string>();
    const configs = new Map<string, string>();
    for (const v of VARIANTS) {
      const config = await writeConfig(work, v);
      configs.set(v.label, config);
      if (!pluginLoaded(config, v.configKey)) { skipped.set(v.label, 'plugin not installed'); continue; }
      figures.set(v.label, await measure(work, root, v, config));
    }
    const cost = await attachCost(work, root, configs.get('tap 1q')!);
    const g = (l: string): Figures | undefined => figures.get(l);
    return [
      ...VARIANTS.flatMap((v) => variantRows(v, g(v.label), skipped.get(v.label))),
      ...ratioRows('tap-2q / tap-1q', g('tap 2q'), g('tap 1q')),
      ...ratioRows('macvtap-1q / tap-1q', g('macvtap 1q'), g('tap 1q')),
      ...ratioRows('macvtap-2q / tap-2q', g('macvtap 2q'), g('tap 2q')),
      ['net cella run true, pod netns + tap 1q (median ms)', cost.withNet.toFixed(0)],
      ['net cella run true, no network (median ms)', cost.without.toFixed(0)],
      ['net attach+detach adds (ms)', (cost.withNet - cost.without).toFixed(0)],
    ];
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    const left = [...processesMentioning(root), ...listTree(root)];
    // A process of this bench still running (its pid first on the line): ended by its id, then reported.
    for (const line of left) {
      const pid = /^(\d+) /.exec(line)?.[1];
      if (pid) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
    await fs.rm(work, { recursive: true, force: true });
    if (left.length > 0) {
      const msg = `the network bench left behind (now removed):\n${left.join('\n')}`;
      if (failed) process.stderr.write(`${msg}\n`);
      else throw new Error(msg);
    }
  }
}
