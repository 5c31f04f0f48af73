// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { open, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { OciSpec } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import type { CommandRunner } from './command-runner';
import type { CrunCommand } from './crun-command';

/** How much of the end of crun's log is read: the log is written by crun, but bound every read anyway. */
const LOG_TAIL_BYTES = 16 * 1024;
/** The longest crun message carried back to the host. */
const MAX_CRUN_MESSAGE = 1024;
const PROBE_TIMEOUT_MS = 30_000;

export interface CrunProbe {
  crun: CrunCommand;
  run: CommandRunner;
  id: string;
  bundleDir: string;
  spec: OciSpec;
  noPivot: boolean;
}

/**
 * Has crun create the container once and delete it at once, so that CreateContainer fails with crun's reason
 * when crun would refuse the bundle (unknown ociVersion, rlimit, missing mount point, executable not found…)
 * instead of the failure showing only when StartContainer's `crun run` exits (docs/adr/0015). The probe runs
 * no hooks (they would run twice) and no terminal (nothing would receive the pty); its stdio is /dev/null.
 */
export async function probeCreate(p: CrunProbe): Promise<void> {
  const configFile = join(p.bundleDir, 'probe.json');
  const logFile = join(p.bundleDir, 'probe.log');
  const spec = structuredClone(p.spec);
  delete spec.hooks;
  if (spec.process) spec.process.terminal = false;
  await writeFile(configFile, JSON.stringify(spec), { mode: 0o600 });
  try {
    const argv = p.crun.create(p.id, p.bundleDir, configFile, p.noPivot, logFile);
    const status = await runToExit(argv, PROBE_TIMEOUT_MS);
    // A created container is deleted; a refused one may have left crun's state behind: delete either way.
    const del = p.crun.delete(p.id);
    await p.run(del[0]!, del.slice(1)).catch(() => undefined);
    if (status !== 0) throw await refused(logFile, 'create', status);
  } finally {
    await rm(configFile, { force: true });
    await rm(logFile, { force: true });
  }
}

/** The error for a container crun refused: crun's logged message (bounded, printable), else its status. */
export async function refused(logFile: string, step: 'create' | 'start' | 'exec', status: number | undefined): Promise<Error> {
  const message = await crunLogMessage(logFile);
  return AgentErrors.AGENT_CONTAINER_REFUSED.create(step === 'exec' ? 'The guest\'s crun could not run the exec process' : `The guest's crun could not ${step} the container`, {
    details: { step, status },
    // The cause's message travels in the ttRPC status to the host, where it is shown to the user.
    cause: new Error(message ?? `crun exited with status ${String(status)}`),
  });
}

/** The error messages of a crun JSON log (`--log-format=json`), joined; undefined when there are none. */
export async function crunLogMessage(file: string): Promise<string | undefined> {
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(Math.min(size, LOG_TAIL_BYTES));
      const { bytesRead } = await fh.read(buf, 0, buf.length, Math.max(0, size - buf.length));
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  return parseCrunLog(text);
}

/** Pure part of `crunLogMessage`: error-level `msg`s of the JSON lines (other lines are skipped), printable. */
export function parseCrunLog(text: string): string | undefined {
  const messages: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { msg?: unknown; level?: unknown };
      if (typeof entry.msg === 'string' && (entry.level === 'error' || entry.level === undefined)) messages.push(entry.msg);
    } catch {
      // A partial first line (the tail cut it) or a line that is not JSON.
    }
  }
  // eslint-disable-next-line no-control-regex
  const joined = messages.join('; ').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (joined === '') return undefined;
  return joined.length > MAX_CRUN_MESSAGE ? `${joined.slice(0, MAX_CRUN_MESSAGE)}…` : joined;
}

/**
 * Runs `argv` with stdio on /dev/null and resolves with its exit status once it exits (not once its pipes
 * close: the container crun created keeps crun's stdio open). Killed after `timeoutMs`.
 */
function runToExit(argv: readonly string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(AgentErrors.AGENT_COMMAND.create('A guest process cannot be started', { details: { command: argv.join(' ').slice(0, 1024) }, cause: err }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0));
    });
  });
}
