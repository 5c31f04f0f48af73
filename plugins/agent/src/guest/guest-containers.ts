// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, OciProcess } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import { AGENT_ID_PATTERN } from '../protocol/agent-service';
import type { CreateContainerMessage } from '../protocol/container-messages';
import { emptyCgroupStats, type CgroupStats } from '../protocol/stats-messages';
import type { CommandRunner } from './command-runner';
import { readCgroupV2 } from './cgroup-stats';
import { checkProcess, containerCgroupsPath, guestSpec, rootNeedsNoPivot, writeBundle } from './container-bundle';
import type { CrunCommand } from './crun-command';
import { probeCreate, refused } from './crun-probe';
import { GuestProcess } from './guest-process';
import type { StorageMounter } from './storage-mounter';

export interface GuestContainersOptions {
  logger: Logger;
  run: CommandRunner;
  crun: CrunCommand;
  storages: StorageMounter;
  /** Where bundles are written: `<bundlesDir>/<id>/config.json`. */
  bundlesDir: string;
  /** Read at each start to decide `--no-pivot`. */
  procMounts: string;
  outputLimit?: number;
  /** How long `remove` waits for the processes to exit after `crun delete -f`. */
  removeWaitMs?: number;
  /** The guest's cgroup2 mount (default /sys/fs/cgroup), where `stats` reads a container's cgroup. */
  cgroupRoot?: string;
}

interface Exec { proc: GuestProcess; pidFile: string }

interface Container {
  id: string;
  bundleDir: string;
  mountPoints: string[];
  state: 'creating' | 'created' | 'running' | 'stopped';
  /** `process.terminal` of the spec: crun makes a pty and sends its master to the agent. */
  terminal: boolean;
  init?: GuestProcess;
  execs: Map<string, Exec>;
}

const MAX_EXECS = 1024;

/** The containers of the sandbox: bundles, crun processes, their stdio and exit status. */
const INIT_PID_FILE = 'init.pid';
/** crun's JSON log of the container's `crun run` (its errors, read when it fails to start the process). */
const CRUN_LOG = 'crun.log';
/** How long StartContainer waits for crun to start the process (crun's own start takes ~0.3 s under TCG). */
const START_TIMEOUT_MS = 10_000;

export class GuestContainers {
  private readonly containers = new Map<string, Container>();

  constructor(private readonly o: GuestContainersOptions) {}

  async create(msg: CreateContainerMessage): Promise<void> {
    const id = checkId('containerId', msg.containerId);
    if (this.containers.has(id)) throw AgentErrors.AGENT_CONTAINER_EXISTS.create('The container exists already', { details: { id } });
    const c: Container = { id, bundleDir: join(this.o.bundlesDir, id), mountPoints: [], state: 'creating', terminal: msg.spec.process?.terminal === true, execs: new Map() };
    this.containers.set(id, c);
    let probeMs: number | undefined;
    try {
      c.mountPoints = await this.o.storages.mountAll(msg.storages);
      const pids = await this.initPids();
      const spec = guestSpec(msg.spec, id, this.o.storages.mountPoints(), (other) => pids.get(other));
      await writeBundle(c.bundleDir, spec);
      const t0 = Date.now();
      await probeCreate({ crun: this.o.crun, run: this.o.run, id, bundleDir: c.bundleDir, spec, noPivot: await this.noPivot() });
      probeMs = Date.now() - t0;
    } catch (err) {
      this.containers.delete(id);
      await this.o.storages.unmountAll(c.mountPoints).catch(() => undefined);
      await rm(c.bundleDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    c.state = 'created';
    this.o.logger.info('Container created', { container: id, probeMs });
  }

  async start(containerId: string): Promise<void> {
    const c = this.get(containerId);
    if (c.state !== 'created') throw stateError('The container is not in the created state', c);
    c.state = 'running';
    try {
      const noPivot = await this.noPivot();
      await rm(join(c.bundleDir, CRUN_LOG), { force: true });
      const argv = (consoleSocket?: string): string[] => this.o.crun.run(c.id, c.bundleDir, noPivot, join(c.bundleDir, INIT_PID_FILE), join(c.bundleDir, CRUN_LOG), consoleSocket);
      const options = { limit: this.o.outputLimit, cwd: c.bundleDir };
      c.init = c.terminal ? await GuestProcess.startWithTerminal(argv, this.consoleSocket(), options) : await GuestProcess.start(argv(), options);
    } catch (err) {
      c.state = 'created';
      throw err;
    }
    const init = c.init;
    void init.wait().then((status) => {
      if (c.init === init) c.state = 'stopped';
      this.o.logger.info('Container exited', { container: c.id, status });
    });
    // Answer once crun has started the process (its pid file and its state file exist), so that an exec or a
    // kill right after StartContainer finds the container.
    const ready = [join(c.bundleDir, INIT_PID_FILE), this.o.crun.statusFile(c.id)].filter((f): f is string => f !== undefined);
    // crun exited without writing the pid file: it never made the container's process, so this start failed
    // (crun's reason is in its log). The container stays created: it never ran.
    if (!(await made(init, ready)) && init.exitStatus !== undefined && !existsSync(join(c.bundleDir, INIT_PID_FILE))) {
      const status = init.exitStatus;
      c.init = undefined;
      c.state = 'created';
      throw await refused(join(c.bundleDir, CRUN_LOG), 'start', status);
    }
  }

  /** The guest pids of the running containers' init processes (namespace paths join them), by container id. */
  private async initPids(): Promise<Map<string, number>> {
    const pids = new Map<string, number>();
    for (const c of this.containers.values()) {
      if (c.state !== 'running' || c.init?.exitStatus !== undefined) continue;
      const pid = await readPid(join(c.bundleDir, INIT_PID_FILE));
      if (pid !== undefined) pids.set(c.id, pid);
    }
    return pids;
  }

  /** Whether crun needs `--no-pivot` (an initramfs root), read at each create and start. */
  private async noPivot(): Promise<boolean> {
    return rootNeedsNoPivot(await readFile(this.o.procMounts, 'utf8').catch(() => ''));
  }

  async exec(containerId: string, execId: string, process: OciProcess): Promise<void> {
    const c = this.get(containerId);
    checkId('execId', execId);
    if (c.state !== 'running') throw stateError('The container is not running', c);
    if (c.execs.has(execId)) throw AgentErrors.AGENT_PROCESS_EXISTS.create('The exec id is in use', { details: { containerId, execId } });
    if (c.execs.size >= MAX_EXECS) throw stateError('The container has too many exec processes', c);
    checkProcess(process);
    const file = join(c.bundleDir, `exec-${execId}.json`);
    const pidFile = join(c.bundleDir, `exec-${execId}.pid`);
    await writeFile(file, JSON.stringify(process), { mode: 0o600 });
    const logFile = join(c.bundleDir, `exec-${execId}.log`);
    const argv = (consoleSocket?: string): string[] => this.o.crun.exec(c.id, file, pidFile, logFile, consoleSocket);
    const options = { limit: this.o.outputLimit, cwd: c.bundleDir };
    const proc = process.terminal === true ? await GuestProcess.startWithTerminal(argv, this.consoleSocket(), options) : await GuestProcess.start(argv(), options);
    // As for start: crun exiting without its pid file never made the process (a missing binary, a bad user…).
    if (!(await made(proc, [pidFile])) && proc.exitStatus !== undefined && !existsSync(pidFile)) throw await refused(logFile, 'exec', proc.exitStatus);
    c.execs.set(execId, { proc, pidFile });
  }

  /** The container's process (`execId` '') or an exec. */
  process(containerId: string, execId: string): GuestProcess {
    const c = this.get(containerId);
    if (execId === '') {
      if (!c.init) throw stateError('The container is not started', c);
      return c.init;
    }
    const e = c.execs.get(execId);
    if (!e) throw AgentErrors.AGENT_PROCESS_NOT_FOUND.create('No such exec process', { details: { containerId, execId } });
    return e.proc;
  }

  /**
   * The container's cgroup counters. A created container has no cgroup yet (crun makes it when it runs the
   * process): all zero. A stopped one is refused, as runc refuses `events` on a stopped container.
   */
  async stats(containerId: string): Promise<CgroupStats> {
    const c = this.get(containerId);
    if (c.state === 'creating' || c.state === 'created') return emptyCgroupStats();
    if (c.state === 'stopped') throw stateError('The container is not running', c);
    const dir = (this.o.cgroupRoot ?? '/sys/fs/cgroup') + containerCgroupsPath(c.id);
    const stats = await readCgroupV2(dir);
    if (stats === undefined) {
      if (c.init?.exitStatus !== undefined) throw stateError('The container is not running', c);
      // crun has not made the cgroup yet (StartContainer answers once crun's state exists; this is a guard).
      return emptyCgroupStats();
    }
    return stats;
  }

  /** The container's process is signalled through `crun kill`; an exec through the pid crun wrote. */
  async signal(containerId: string, execId: string, signal: number): Promise<void> {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
      throw AgentErrors.AGENT_INVALID_ARGUMENT.create('The signal number is invalid', { details: { signal } });
    }
    const proc = this.process(containerId, execId);
    if (proc.exitStatus !== undefined) throw stateError('The process has exited', this.get(containerId));
    if (execId === '') {
      const argv = this.o.crun.kill(containerId, signal);
      await this.o.run(argv[0]!, argv.slice(1));
      return;
    }
    await killExec(this.get(containerId).execs.get(execId)!, signal);
  }

  /** Stops (crun delete -f) and forgets the container, unmounts its storages and removes its bundle. */
  async remove(containerId: string): Promise<void> {
    const c = this.get(containerId);
    if (c.state === 'creating') throw stateError('The container is still being created', c);
    await this.stop(c);
    this.containers.delete(c.id);
    await this.o.storages.unmountAll(c.mountPoints);
    await rm(c.bundleDir, { recursive: true, force: true });
    this.o.logger.info('Container removed', { container: c.id });
  }

  /** Removes every container; failures are logged, not thrown (used on sandbox teardown). */
  async removeAll(): Promise<void> {
    for (const id of [...this.containers.keys()]) {
      await this.remove(id).catch((err) => this.o.logger.warn('Container removal failed', { container: id, err }));
    }
  }

  /**
   * `crun delete -f` until every process of the container has exited. It is repeated because right after
   * `crun run` started, crun may not have recorded the container yet ("does not exist"). After
   * `removeWaitMs` the crun processes themselves are killed.
   */
  private async stop(c: Container): Promise<void> {
    const procs = [c.init, ...[...c.execs.values()].map((e) => e.proc)].filter((p): p is GuestProcess => p !== undefined);
    const all = Promise.all(procs.map((p) => p.wait()));
    const deadline = Date.now() + (this.o.removeWaitMs ?? 10_000);
    while (procs.some((p) => p.exitStatus === undefined)) {
      if (Date.now() >= deadline) {
        this.o.logger.warn('Processes did not exit after crun delete; killing crun', { container: c.id });
        for (const p of procs) p.kill(9);
        await Promise.race([all, sleep(1000, undefined, { ref: false })]);
        return;
      }
      if (c.init?.exitStatus === undefined) {
        const argv = this.o.crun.delete(c.id);
        await this.o.run(argv[0]!, argv.slice(1)).catch((err) => this.o.logger.debug('crun delete failed', { container: c.id, err }));
      } else {
        for (const e of c.execs.values()) if (e.proc.exitStatus === undefined) await killExec(e, 9);
      }
      await Promise.race([all, sleep(250, undefined, { ref: false })]);
    }
  }

  /** A fresh path for one console socket (short: unix socket paths end at 107 bytes). */
  private consoleSocket(): string {
    return join(this.o.bundlesDir, `.tty-${randomBytes(6).toString('hex')}.sock`);
  }

  private get(containerId: string): Container {
    const c = this.containers.get(containerId);
    if (!c) throw AgentErrors.AGENT_CONTAINER_NOT_FOUND.create('No such container', { details: { containerId: containerId.slice(0, 256) } });
    return c;
  }
}

/**
 * Waits until crun has made the process (every file of `ready` exists) or has exited, at most START_TIMEOUT_MS;
 * true when the files are there.
 */
async function made(proc: GuestProcess, ready: readonly string[]): Promise<boolean> {
  for (let waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
    if (ready.every((f) => existsSync(f))) return true;
    if (proc.exitStatus !== undefined) return false;
    await sleep(20);
  }
  return false;
}

function checkId(field: string, id: string): string {
  if (!AGENT_ID_PATTERN.test(id)) {
    throw AgentErrors.AGENT_INVALID_ARGUMENT.create('The id is invalid', { details: { field, value: id.slice(0, 256) } });
  }
  return id;
}

function stateError(message: string, c: Container): Error {
  return AgentErrors.AGENT_STATE.create(message, { details: { containerId: c.id, state: c.state } });
}

/** Signals the exec'd process by the pid crun wrote; without one, the crun process itself. */
async function killExec(e: Exec, signal: number): Promise<void> {
  const pid = await readPid(e.pidFile);
  try {
    if (pid === undefined) throw new Error('no pid file');
    process.kill(pid, signal);
  } catch {
    e.proc.kill(signal);
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
