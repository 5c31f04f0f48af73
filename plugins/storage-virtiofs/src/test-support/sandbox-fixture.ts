// SPDX-License-Identifier: Apache-2.0
/** Test helper: a real sandbox context in a temp folder, and a teardown that removes whatever a test left. */
import { execFileSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { terminateProcess } from '@cella/core';
import { makeTestSandbox, type TestSandbox } from '@cella/core/testkit';
import { mountsUnder } from '../host-mounts';

export type Fixture = TestSandbox;

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

export function makeFixture(prefix: string): Promise<Fixture> {
  return makeTestSandbox(prefix, { memoryMiB: 512 });
}

/** Kill, unmount and delete whatever is left under the fixture (run after the driver's own cleanup). */
export async function destroyFixture(f: Fixture): Promise<void> {
  for (const pid of processesWith(f.root)) await terminateProcess(pid, undefined, 500);
  for (const target of await mountsUnder(f.root)) {
    try { execFileSync('umount', ['-l', target]); } catch { /* already gone */ }
  }
  if ((await mountsUnder(f.root)).length === 0) await fs.rm(f.root, { recursive: true, force: true });
}
