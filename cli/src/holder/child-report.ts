// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { E } from '@cella/core';
import { errorFromJson } from '../render/errors';
import type { HolderReport } from './holder-protocol';

/**
 * Start a process that will stand for a container or an exec: it keeps our stdio (the caller's, e.g. a shim's
 * fifos), runs in its own session, stays our child (a subreaper adopts it when we exit), and reports once on
 * fd 3. Resolves with its pid once it reported success; throws the error it reported otherwise.
 * `ownStdio: false` (a terminal process: its stdio is the pty) gives it /dev/null instead: a caller reading
 * our output to its end (containerd's shim runs `create` and `exec -d` so when there is a terminal) would
 * otherwise wait for as long as the process lives.
 */
export async function spawnReporting(script: string, arg: unknown, what: string, ownStdio = true): Promise<number> {
  const std = ownStdio ? 'inherit' : 'ignore';
  const child: ChildProcess = spawn(process.execPath, [script, JSON.stringify(arg)], { stdio: [std, std, std, 'pipe'], detached: true });
  const pipe = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  const report = await new Promise<HolderReport | undefined>((done) => {
    const lines = createInterface({ input: pipe });
    lines.once('line', (l) => { try { done(JSON.parse(l) as HolderReport); } catch { done(undefined); } });
    lines.once('close', () => done(undefined));
  });
  pipe.destroy();
  if (!report) {
    // Killed, or it crashed: the caller undoes what it made (its pid tells its state folder from another's).
    throw E.INTERNAL.create(`The ${what} process exited before it was ready`, { details: { script, pid: child.pid } });
  }
  if (!report.ok) throw errorFromJson(report.error);
  child.unref();
  return report.pid;
}

/** The child's side: write the one report line on fd 3 and close it. Later calls do nothing. */
export function reporter(): { send(r: HolderReport): Promise<void> } {
  const out = createWriteStream('', { fd: 3 });
  // The caller may be gone (killed mid-create): the report then reaches nobody, and that is no reason to die.
  let lost = false;
  out.on('error', () => { lost = true; });
  let sent = false;
  return {
    send(r) {
      if (sent || lost) return Promise.resolve();
      sent = true;
      return new Promise((resolve) => {
        out.once('error', () => resolve());
        out.end(`${JSON.stringify(r)}\n`, () => resolve());
      });
    },
  };
}
