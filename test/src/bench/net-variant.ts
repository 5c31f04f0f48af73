// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { runUntilReady } from '../helpers/background-run';
import { CELLA, HELLO } from '../helpers/cella';
import { PodNetwork } from '../helpers/pod-network';
import { containerListeners, ping, receiveFrom, sendTo, sourceBytes, type PingStats, type Transfer } from './net-probe';

/**
 * The network bench's knobs, from the environment. With the defaults the section takes about 3.5 minutes on
 * 2 cores under TCG (ten VM boots: four variants, six `cella run true`); RUNS=1 and REPS=1 bring it near 2.
 */
export const NET_SETTINGS = {
  /** MiB per TCP transfer. */
  mib: Number(process.env.BENCH_NET_MIB ?? 32),
  /** Transfers per direction and variant, in the same VM; the median is reported. */
  reps: Number(process.env.BENCH_NET_REPS ?? 3),
  /** Pings from the peer, 0.2 s apart. */
  pings: Number(process.env.BENCH_NET_PINGS ?? 20),
  /** `cella run true` runs per side of the attach figure; the median is reported. */
  runs: Number(process.env.BENCH_NET_RUNS ?? 3),
};

/** One network plugin with one queue count. */
export interface Variant { label: string; plugin: string; configKey: string; queues: number }
export interface Figures { up: Transfer; down: Transfer; ping: PingStats }

export const VARIANTS: Variant[] = [
  { label: 'tap 1q', plugin: '@cella/network-tap', configKey: 'network.tap', queues: 1 },
  { label: 'tap 2q', plugin: '@cella/network-tap', configKey: 'network.tap', queues: 2 },
  { label: 'macvtap 1q', plugin: '@cella/network-macvtap', configKey: 'network.macvtap', queues: 1 },
  { label: 'macvtap 2q', plugin: '@cella/network-macvtap', configKey: 'network.macvtap', queues: 2 },
];

/** The pod networks that exist now, so that an interrupted bench can still remove them. */
export const livePodNetworks = new Set<PodNetwork>();

/** A pod network that `fn` uses; removed when `fn` settles. */
export async function withPodNetwork<T>(fn: (net: PodNetwork) => Promise<T>): Promise<T> {
  const net = new PodNetwork();
  livePodNetworks.add(net);
  try {
    return await fn(net);
  } finally {
    net.remove();
    livePodNetworks.delete(net);
  }
}

const SINK = 7001;
const SOURCE = 7002;
const TRANSFER_TIMEOUT_MS = 90_000;

/** A progress line on stderr (the figures go to stdout): what was done and how long it took. Returns now. */
export function progress(what: string, since: number): number {
  const now = Date.now();
  process.stderr.write(`bench network: ${what} (${((now - since) / 1000).toFixed(1)} s)\n`);
  return now;
}

const medianTransfer = (ts: Transfer[]): Transfer => [...ts].sort((a, b) => a.mbps - b.mbps)[Math.floor(ts.length / 2)]!;

/** A config selecting the variant's plugin; two vCPUs in every variant so only the queue count differs. */
export async function writeConfig(dir: string, v: Variant): Promise<string> {
  const file = join(dir, `${v.label.replace(/ /g, '-')}.toml`);
  await fs.writeFile(file, ['version = 1', '[sandbox]', 'default_vcpus = 2', '[network]', `plugin = "${v.plugin}"`,
    `[plugins."${v.configKey}"]`, `queues = ${v.queues}`, ''].join('\n'));
  return file;
}

/**
 * Why the variant's plugin cannot be measured, from `cella plugins list --json` with `config` selecting it;
 * undefined when it is loaded as the network plugin.
 */
export function whyUnavailable(config: string, id: string): string | undefined {
  const r = spawnSync(process.execPath, [CELLA, 'plugins', 'list', '--json', '--config', config], { encoding: 'utf8' });
  if (r.status !== 0) return 'plugin not installed';
  const rows = (JSON.parse(r.stdout) as { plugins: Array<{ id: string; role: string | null; status: string; reason: string | null }> }).plugins;
  const row = rows.find((p) => p.id === id && p.role === 'network');
  if (!row) return 'plugin not installed';
  return row.status === 'loaded' ? undefined : `plugin ${row.status}${row.reason ? `: ${row.reason}` : ''}`;
}

/** A bundle from the hello rootfs running `args`, in the network namespace at `netns` (none: a new, empty one). */
export async function writeBundle(dir: string, args: string[], netns: string | undefined): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const spec = JSON.parse(await fs.readFile(join(HELLO, 'config.json'), 'utf8'));
  spec.process.args = args;
  spec.root.path = join(HELLO, 'rootfs');
  const linux = spec.linux as { namespaces: Array<{ type: string; path?: string }> };
  linux.namespaces = [...linux.namespaces.filter((n) => n.type !== 'network'), { type: 'network', ...(netns ? { path: netns } : {}) }];
  await fs.writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/**
 * One variant: a fresh pod network, a container listening on it (checked to have the variant's queue count),
 * then ping, peer → container and container → peer from the peer namespace. The VM and both namespaces are
 * gone when it settles, whatever happened.
 */
export async function measureVariant(work: string, root: string, v: Variant, config: string): Promise<Figures> {
  const bytes = NET_SETTINGS.mib * 1024 * 1024;
  const script = [
    'echo "QUEUES $(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"',
    // The shell is pid 1: without a trap it would ignore the SIGTERM `cella run` forwards.
    "trap 'exit 7' TERM",
    ...containerListeners(SINK, SOURCE, bytes),
    'echo READY',
    'wait',
  ].join('\n');
  let t = Date.now();
  return withPodNetwork(async (net) => {
    const name = `bench-${v.label.replace(/ /g, '-')}`;
    const bundle = await writeBundle(join(work, name), ['sh', '-c', script], net.podPath);
    const run = await runUntilReady(['run', '--config', config, '--root', root, '--bundle', bundle, name]);
    let stopped = false;
    try {
      const queues = /^QUEUES (\d+)$/m.exec(run.output())?.[1];
      if (queues !== String(v.queues)) throw new Error(`${v.label}: the guest's eth0 has ${queues} queues\n${run.output()}`);
      t = progress(`${v.label}: container ready`, t);
      const p = await ping(net, NET_SETTINGS.pings, 0.2);
      t = progress(`${v.label}: ping`, t);
      const ups: Transfer[] = [];
      const downs: Transfer[] = [];
      for (let i = 0; i < NET_SETTINGS.reps; i++) {
        ups.push(await sendTo(net, SINK, bytes, TRANSFER_TIMEOUT_MS));
        downs.push(await receiveFrom(net, SOURCE, sourceBytes(bytes), TRANSFER_TIMEOUT_MS));
      }
      t = progress(`${v.label}: TCP both ways`, t);
      const end = await run.stop();
      stopped = true;
      progress(`${v.label}: stopped`, t);
      if (end.code !== 7) throw new Error(`${v.label}: cella run ended with ${end.code}, not the container's 7\n${end.stderr}`);
      return { up: medianTransfer(ups), down: medianTransfer(downs), ping: p };
    } finally {
      if (!stopped) await run.stop(10_000);
    }
  });
}
