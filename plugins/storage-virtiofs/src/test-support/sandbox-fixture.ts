// SPDX-License-Identifier: Apache-2.0
/** Test helper: a real sandbox context in a temp folder, and a teardown that removes whatever a test left. */
import { execFileSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileJournal, JsonLogger, terminateProcess, type SandboxContext } from '@cella/core';
import { mountsUnder } from '../host-mounts';

export interface Fixture {
  root: string;
  sandbox: SandboxContext;
  journal: FileJournal;
  logs: string[];
}

/** Pids of live processes whose command line holds `needle`. */
export function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) out.push(Number(entry));
    } catch {
      continue;
    }
  }
  return out;
}

export async function makeFixture(prefix: string): Promise<Fixture> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const stateDir = path.join(root, 'state');
  const runDir = path.join(root, 'run');
  await fs.mkdir(stateDir, { recursive: true });
  await fs.mkdir(runDir, { recursive: true });
  const journal = await FileJournal.open(stateDir);
  const logs: string[] = [];
  const logger = new JsonLogger((line) => logs.push(line), 'debug');
  const sandbox: SandboxContext = { id: path.basename(root), stateDir, runDir, journal, logger, vcpus: 1, memoryMiB: 512 };
  return { root, sandbox, journal, logs };
}

/** Kill, unmount and delete whatever is left under the fixture (run after the driver's own cleanup). */
export async function destroyFixture(f: Fixture): Promise<void> {
  for (const pid of processesWith(f.root)) await terminateProcess(pid, undefined, 500);
  for (const target of await mountsUnder(f.root)) {
    try { execFileSync('umount', ['-l', target]); } catch { /* already gone */ }
  }
  if ((await mountsUnder(f.root)).length === 0) await fs.rm(f.root, { recursive: true, force: true });
}
