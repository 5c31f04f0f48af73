// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench`: figures measured in one run on this machine (medians of several runs each).
 * - run: `cella run` of the hello bundle, wall time, against a floor: the same kernel, initramfs and root image
 *   booted by the same hypervisor plugin with `cella.poweroff=1` (the guest's init powers off at once).
 * - run with VM templates on: the same run restored from a saved, booted VM (`vm_template = true`).
 * - CLI: `cella --version` and `cella config show` against `node -e 0`.
 * - network (network-bench.ts): TCP throughput and ping between a peer namespace and a container per network
 *   plugin and queue count, their ratios, and what network attach + detach add to `cella run`.
 * - storage (storage-bench.ts): sequential write and read MiB/s and small-file creates per second on a volume in
 *   the container for virtio-fs (cache never and auto) and virtio-blk, and what each adds to `cella run`.
 * Targets (for later issues): run <= 1.3x floor; CLI commands <= 2x `node -e 0`.
 * - faults (faults-bench.ts): the whole fault-injection matrix of issue #10 (only when named: it boots ~20 VMs).
 * Sections: `npm run bench -- core` (or `network`, `storage`, `faults`) runs only that one; no argument runs all but faults.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FileJournal, GuestImage, HypervisorFactory, nullLogger, vmSpecOf, type SandboxContext } from '@cella/core';
import { loadRuntime } from '@cella/cli';
import { resolve } from '@cella/core/di';
import { CELLA, HELLO, tempDir } from '../helpers/cella';
import { NETWORK_BENCH_SETTINGS, networkBench } from './network-bench';
import { faultsBench } from './faults-bench';
import { storageBench, storageBenchSettings } from './storage-bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS ?? 11);
const SECTIONS = ['core', 'network', 'storage', 'faults'] as const;

function printRows(title: string, rows: Array<[string, string]>): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${title}\n`);
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of a command; `detachedStdio` for `create`, whose holder keeps its stdio (a pipe would wait for it). */
function timeCommand(cmd: string, args: string[], detachedStdio = false): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: detachedStdio ? 'ignore' : ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(0, 2000)}`);
  return ms;
}

async function floorOnce(root: string, i: number): Promise<number> {
  const rt = await loadRuntime({ root }, nullLogger);
  const stateDir = join(root, `floor${i}`);
  const runDir = join(stateDir, 'run');
  await fs.mkdir(runDir, { recursive: true });
  const journal = await FileJournal.open(stateDir);
  const ctx: SandboxContext = { id: `floor${i}`, stateDir, runDir, journal, logger: nullLogger, vcpus: rt.config.sandbox.default_vcpus, memoryMiB: rt.config.sandbox.default_memory_mib };
  const boot = await resolve(rt.container, GuestImage).boot(ctx);
  const hv = resolve(rt.container, HypervisorFactory)(ctx);
  const t = process.hrtime.bigint();
  const exited = new Promise<void>((resolve) => hv.onDidExit(() => resolve()));
  await hv.start(vmSpecOf(ctx, boot, [], { kernelParams: [...boot.kernelParams, 'cella.poweroff=1'] }));
  // The plugin unrefs the QEMU child (the VM may outlive the CLI): keep this process alive while waiting.
  const keepAlive = setInterval(() => undefined, 1000);
  await exited;
  clearInterval(keepAlive);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await hv.stop({ force: true });
  await fs.rm(stateDir, { recursive: true, force: true });
  return ms;
}

async function coreBench(): Promise<void> {
  const root = tempDir('bench');
  try {
    // Warm-up: the KVM probe verdict and the page cache.
    timeCommand(process.execPath, [CELLA, 'run', '--root', root, '--bundle', HELLO, 'warmup']);
    const run: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      run.push(timeCommand(process.execPath, [CELLA, 'run', '--root', root, '--bundle', HELLO, `bench${i}`]));
      floor.push(await floorOnce(root, i));
    }
    const nodeE: number[] = [];
    const version: number[] = [];
    const show: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      nodeE.push(timeCommand(process.execPath, ['-e', '0']));
      version.push(timeCommand(process.execPath, [CELLA, '--version']));
      show.push(timeCommand(process.execPath, [CELLA, 'config', 'show']));
    }
    // OCI control commands on a created container, against runc on the same kind of container.
    const bundle = join(root, 'bench-bundle');
    await fs.mkdir(bundle, { recursive: true });
    const spec = JSON.parse(await fs.readFile(join(HELLO, 'config.json'), 'utf8'));
    spec.process.args = ['sleep', '600'];
    spec.root.path = join(HELLO, 'rootfs');
    await fs.writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const runcRoot = join(root, 'runc');
    const cellaState: number[] = [];
    const cellaList: number[] = [];
    const runcState: number[] = [];
    const runcList: number[] = [];
    const lifecycle: number[] = [];
    const hasRunc = spawnSync('runc', ['--version']).status === 0;
    timeCommand(process.execPath, [CELLA, '--root', root, 'create', '--bundle', bundle, 'ctl'], true);
    if (hasRunc) timeCommand('runc', ['--root', runcRoot, 'create', '--bundle', bundle, 'ctl'], true);
    try {
      for (let i = 0; i < CLI_RUNS; i++) {
        cellaState.push(timeCommand(process.execPath, [CELLA, '--root', root, 'state', 'ctl']));
        cellaList.push(timeCommand(process.execPath, [CELLA, '--root', root, 'list']));
        if (hasRunc) {
          runcState.push(timeCommand('runc', ['--root', runcRoot, 'state', 'ctl']));
          runcList.push(timeCommand('runc', ['--root', runcRoot, 'list']));
        }
      }
    } finally {
      spawnSync(process.execPath, [CELLA, '--root', root, 'delete', '--force', 'ctl']);
      if (hasRunc) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', 'ctl']);
    }
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      timeCommand(process.execPath, [CELLA, '--root', root, 'create', '--bundle', HELLO, `life${i}`], true);
      timeCommand(process.execPath, [CELLA, '--root', root, 'start', `life${i}`]);
      for (let k = 0; k < 300 && spawnSync(process.execPath, [CELLA, '--root', root, 'state', `life${i}`], { encoding: 'utf8' }).stdout.includes('"running"'); k++) {
        await new Promise((res) => setTimeout(res, 50));
      }
      timeCommand(process.execPath, [CELLA, '--root', root, 'delete', `life${i}`]);
      lifecycle.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    // VM templates: the same run restored from a saved VM (made once by `image build` into a private folder).
    const tmplConfig = join(root, 'template.toml');
    await fs.writeFile(tmplConfig, `version = 1\n[plugins."hypervisor.qemu"]\nvm_template = true\nvm_template_dir = "${join(root, 'templates')}"\n`);
    const tBuild = process.hrtime.bigint();
    timeCommand(process.execPath, [CELLA, 'image', 'build', '--config', tmplConfig, '--root', root]);
    const templateBuild = Number(process.hrtime.bigint() - tBuild) / 1e6;
    const restored: number[] = [];
    for (let i = 0; i < RUNS; i++) restored.push(timeCommand(process.execPath, [CELLA, 'run', '--config', tmplConfig, '--root', root, '--bundle', HELLO, `tmpl${i}`]));
    const r = median(run);
    const f = median(floor);
    const n = median(nodeE);
    const rows: Array<[string, string]> = [
      ['cella run hello (median ms)', r.toFixed(0)],
      ['floor: VM boot + poweroff (median ms)', f.toFixed(0)],
      ['run / floor (target <= 1.3)', (r / f).toFixed(2)],
      ['cella run hello, VM template (median ms)', median(restored).toFixed(0)],
      ['run with VM template / floor (target <= 1.3)', (median(restored) / f).toFixed(2)],
      ['image build with a new VM template (ms)', templateBuild.toFixed(0)],
      ['node -e 0 (median ms)', n.toFixed(0)],
      ['cella --version (median ms)', median(version).toFixed(0)],
      ['cella --version / node -e 0 (target <= 2)', (median(version) / n).toFixed(2)],
      ['cella config show (median ms)', median(show).toFixed(0)],
      ['cella config show / node -e 0 (target <= 2)', (median(show) / n).toFixed(2)],
      ['cella state (median ms)', median(cellaState).toFixed(0)],
      ['cella state / node -e 0 (target <= 2)', (median(cellaState) / n).toFixed(2)],
      ['cella list (median ms)', median(cellaList).toFixed(0)],
      ['cella list / node -e 0 (target <= 2)', (median(cellaList) / n).toFixed(2)],
      ...(hasRunc ? [
        ['runc state (median ms)', median(runcState).toFixed(0)],
        ['runc list (median ms)', median(runcList).toFixed(0)],
      ] as Array<[string, string]> : []),
      ['create+start+delete hello (median ms)', median(lifecycle).toFixed(0)],
    ];
    printRows(`bench: ${RUNS} VM runs, ${CLI_RUNS} CLI runs`, rows);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown bench section ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  const wants = (s: typeof SECTIONS[number]): boolean => asked.length === 0 || asked.includes(s);
  if (wants('core')) await coreBench();
  if (wants('network')) {
    const t = Date.now();
    const { rows, failed } = await networkBench();
    printRows(`bench network: ${NETWORK_BENCH_SETTINGS} (${((Date.now() - t) / 1000).toFixed(0)} s)`, rows);
    if (failed) process.exitCode = 1;
  }
  if (wants('storage')) {
    const t = Date.now();
    const { rows, failed } = await storageBench();
    printRows(`bench storage: ${storageBenchSettings()} (${((Date.now() - t) / 1000).toFixed(0)} s)`, rows);
    if (failed) process.exitCode = 1;
  }
  // The fault matrix takes minutes of VM boots: only when asked for.
  if (asked.includes('faults')) {
    const { failed } = await faultsBench();
    if (failed) process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
