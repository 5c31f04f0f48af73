// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { E } from '../errors/codes';
import { readJsonFile, writeFileAtomic } from './atomic-file';
import { acquireLock, type Lock } from './lock';

/** runc's rule for container ids, with a length bound. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
/** Unix socket paths must stay under 108 bytes: the run folder gets a short name when the id is long. */
const MAX_RUN_DIR = 80;

export function validateSandboxId(id: string): void {
  if (!ID_RE.test(id)) {
    throw E.SANDBOX_ID.create('The container id is invalid', {
      details: { id, allowed: 'letters, digits, and _ . + - (not first), at most 128 characters' },
    });
  }
}

export interface SandboxPaths { stateDir: string; runDir: string; stateFile: string; lockFile: string }

/** The state root (`/run/cella` by default): one folder per sandbox holding state.json, journal.json and run/. */
export class StateStore {
  constructor(readonly root: string) {}

  paths(id: string): SandboxPaths {
    const stateDir = join(this.root, id);
    let runDir = join(stateDir, 'run');
    if (runDir.length > MAX_RUN_DIR) runDir = join(this.root, '.run', createHash('sha256').update(id).digest('hex').slice(0, 16));
    return { stateDir, runDir, stateFile: join(stateDir, 'state.json'), lockFile: join(stateDir, '.lock') };
  }

  /** Create the sandbox folder exclusively; AlreadyExists when the id is taken. */
  async create(id: string): Promise<SandboxPaths> {
    validateSandboxId(id);
    const p = this.paths(id);
    await fs.mkdir(this.root, { recursive: true, mode: 0o711 });
    try {
      await fs.mkdir(p.stateDir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw E.SANDBOX_EXISTS.create('A container with this id already exists', { details: { id, stateDir: p.stateDir } });
      }
      throw err;
    }
    return p;
  }

  async exists(id: string): Promise<boolean> {
    validateSandboxId(id);
    return fs.stat(this.paths(id).stateDir).then(() => true, () => false);
  }

  async lock(id: string, timeoutMs?: number): Promise<Lock> {
    return acquireLock(this.paths(id).lockFile, timeoutMs);
  }

  async write<T>(id: string, state: T): Promise<void> {
    await writeFileAtomic(this.paths(id).stateFile, JSON.stringify(state, undefined, 1));
  }

  async read<T>(id: string): Promise<T> {
    validateSandboxId(id);
    const file = this.paths(id).stateFile;
    let s: T | undefined;
    try {
      s = await readJsonFile<T>(file);
    } catch (cause) {
      throw E.STATE_CORRUPT.create('The container state cannot be read', { cause, details: { file } });
    }
    if (s === undefined) throw E.SANDBOX_NOT_FOUND.create('The container does not exist', { details: { id } });
    return s;
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.root).catch(() => [] as string[]);
    return names.filter((n) => ID_RE.test(n)).sort();
  }

  /** Remove the sandbox folder (and a short run folder). Last step of a delete. */
  async remove(id: string): Promise<void> {
    const p = this.paths(id);
    await fs.rm(p.runDir, { recursive: true, force: true });
    await fs.rm(p.stateDir, { recursive: true, force: true });
    await fs.rmdir(join(this.root, '.run')).catch(() => undefined);
  }
}
