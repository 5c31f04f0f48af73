// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';

/**
 * Start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot), or undefined when it
 * does not exist. Pid + start time identify a process even after the pid number is reused.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  if (state === 'Z' || state === 'X') return undefined;
  return rest[19];
}

export function isAlive(pid: number, startTime?: string): boolean {
  const st = processStartTime(pid);
  return st !== undefined && (startTime === undefined || st === startTime);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (or was never there). */
export async function terminateProcess(pid: number, startTime: string | undefined, graceMs = 2000): Promise<void> {
  if (!isAlive(pid, startTime)) return;
  const signal = (sig: NodeJS.Signals): void => {
    try { process.kill(pid, sig); } catch { /* gone already */ }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid, startTime)) return;
    await sleep(25);
  }
  signal('SIGKILL');
  for (let i = 0; i < 400 && isAlive(pid, startTime); i++) await sleep(25);
}
