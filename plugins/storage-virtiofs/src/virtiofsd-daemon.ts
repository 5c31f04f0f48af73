// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { isAlive, processStartTime, sleep, terminateProcess, type Journal } from '@cella/core';
import { confinedCommand } from '@cella/core/process';
import type { VirtiofsdBinary } from './virtiofsd-binary';
import { VirtiofsErrors } from './virtiofs-errors';

const PLUGIN_ID = 'storage.virtiofs';
/** virtiofsd makes its socket before it sandboxes itself: a few hundred ms even under load. */
const SOCKET_WAIT_MS = 10_000;

export interface VirtiofsdDaemonOptions {
  binary: VirtiofsdBinary;
  args: string[];
  /** A command that runs virtiofsd (e.g. in a user namespace) and execs it, so the pid stays virtiofsd's. */
  launcher?: readonly string[];
  socketPath: string;
  logPath: string;
  journal: Journal;
}

async function isSocket(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isSocket() ?? false;
}

/**
 * One running virtiofsd, started in its own session and killed by the kernel when the runtime process that
 * started it dies (PR_SET_PDEATHSIG, docs/adr/0012), recorded in the journal (`process` with pid and start time) before it is spawned.
 */
export class VirtiofsdDaemon {
  private constructor(readonly pid: number, private readonly startTime: string | undefined,
    private readonly seq: number, private readonly journal: Journal) {}

  /** Spawn virtiofsd and wait until its vhost-user socket exists; on failure nothing is left running. */
  static async start(o: VirtiofsdDaemonOptions): Promise<VirtiofsdDaemon> {
    const entry = await o.journal.record('process', PLUGIN_ID, 'virtiofsd', { name: 'virtiofsd', graceMs: 2000 });
    const log = await fs.open(o.logPath, 'a');
    let exited: string | undefined;
    let pid: number | undefined;
    try {
      // Its own session (a Ctrl-C to the CLI does not reach it), but it dies with the process that started it. The
      // parent-death signal is set last, inside the launcher: entering the user namespace as its root changes the
      // host uid, which clears it.
      const confined = confinedCommand(o.binary.path, o.args);
      const [file, ...argv] = [...(o.launcher ?? []), confined.file, ...confined.args];
      const child = spawn(file!, argv, { detached: true, stdio: ['ignore', log.fd, log.fd] });
      child.on('exit', (code, signal) => { exited = signal ?? `exit code ${String(code)}`; });
      const spawnError = await new Promise<Error | undefined>((resolve) => {
        child.once('error', resolve);
        child.once('spawn', () => resolve(undefined));
      });
      if (spawnError || child.pid === undefined) {
        throw VirtiofsErrors.STORAGE_VIRTIOFSD.create('virtiofsd cannot be run', { cause: spawnError, details: { path: o.binary.path } });
      }
      pid = child.pid;
      const startTime = processStartTime(pid);
      await o.journal.update(entry.seq, { name: 'virtiofsd', pid, startTime, graceMs: 2000 });
      child.unref();
      const deadline = Date.now() + SOCKET_WAIT_MS;
      while (!(await isSocket(o.socketPath))) {
        if (exited !== undefined || Date.now() > deadline) {
          const tail = (await fs.readFile(o.logPath, 'utf8').catch(() => '')).slice(-800).trim();
          throw VirtiofsErrors.STORAGE_VIRTIOFSD.create(exited ? 'virtiofsd exited while starting' : 'virtiofsd did not make its socket in time', {
            details: { path: o.binary.path, flavour: o.binary.flavour, args: o.args, exit: exited, socket: o.socketPath, log: tail },
            hint: 'The virtiofsd log above says why; extra_args and the cache/sandbox options go to it unchanged.',
          });
        }
        await sleep(20);
      }
      return new VirtiofsdDaemon(pid, startTime, entry.seq, o.journal);
    } catch (err) {
      if (pid !== undefined) await terminateProcess(pid, processStartTime(pid), 1000);
      await o.journal.complete(entry.seq);
      throw err;
    } finally {
      await log.close();
    }
  }

  isRunning(): boolean {
    return isAlive(this.pid, this.startTime);
  }

  /** TERM, then KILL; completes the journal entry once the process is gone. */
  async stop(): Promise<void> {
    await terminateProcess(this.pid, this.startTime, 2000);
    await this.journal.complete(this.seq);
  }
}
