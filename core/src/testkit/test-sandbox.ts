// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { JsonLogger } from '../log/logger';
import type { SandboxContext } from '../ports/sandbox-context';
import { FileJournal } from '../state/file-journal';
import type { Journal } from '../state/journal';

export interface TestSandbox {
  /** A fresh temporary folder holding `state/` and `run/`; the test removes it. */
  root: string;
  sandbox: SandboxContext;
  /** The journal on disk (the sandbox may see it through `wrapJournal`). */
  journal: FileJournal;
  /** The sandbox logger's JSON lines, at debug level. */
  logs: string[];
}

export interface TestSandboxOptions {
  /** Default: the temporary folder's name. */
  id?: string;
  vcpus?: number;
  memoryMiB?: number;
  /** What the sandbox sees instead of the journal itself (e.g. a wrapper that also logs each entry). */
  wrapJournal?: (journal: FileJournal, logs: string[]) => Journal;
}

/** For plugin tests: a real sandbox context (a FileJournal under `<tmp>/<prefix>…/state`, a JSON logger into an array). */
export async function makeTestSandbox(prefix: string, options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const root = await fs.mkdtemp(join(tmpdir(), prefix));
  const stateDir = join(root, 'state');
  const runDir = join(root, 'run');
  await fs.mkdir(stateDir, { recursive: true });
  await fs.mkdir(runDir, { recursive: true });
  const journal = await FileJournal.open(stateDir);
  const logs: string[] = [];
  const logger = new JsonLogger((line) => logs.push(line), 'debug');
  const sandbox: SandboxContext = {
    id: options.id ?? basename(root), stateDir, runDir, journal: options.wrapJournal?.(journal, logs) ?? journal, logger,
    vcpus: options.vcpus ?? 1, memoryMiB: options.memoryMiB ?? 256,
  };
  return { root, sandbox, journal, logs };
}
