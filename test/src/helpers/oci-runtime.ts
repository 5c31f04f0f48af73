// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import { assertNothingLeft, tempDir } from './cella';

export interface Result { code: number | null; stdout: string; stderr: string }
/** One runc-style CLI (runc itself, or cella) bound to a state root. */
export type Runtime = (args: string[]) => Result;

/**
 * `<cmd> <prefix…> --root <root> <args…>`, synchronously. `create` leaves a process holding its stdio
 * (runc's init, cella's holder), as a shim's fifos would be: it gets a file, or a pipe would stay open
 * until the container ends.
 */
export function runtime(cmd: string, prefix: string[], root: string): Runtime {
  return (args) => {
    if (args[0] === 'create') {
      const outFile = `${root}.create.out`;
      const fd = openSync(outFile, 'w');
      try {
        const r = spawnSync(cmd, [...prefix, '--root', root, ...args], { timeout: 120_000, stdio: ['ignore', fd, fd] });
        return { code: r.status, stdout: '', stderr: readFileSync(outFile, 'utf8') };
      } finally {
        closeSync(fd);
        rmSync(outFile, { force: true });
      }
    }
    const r = spawnSync(cmd, [...prefix, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/**
 * Mocha hooks for a test that compares cella with runc: skipped where runc is not installed; per test a fresh
 * cella state root and runc root; afterwards nothing of cella's may be left under its root, and both go.
 * Read the fields inside the tests (they change per test).
 */
export function differentialRoots(): { readonly root: string; readonly runcRoot: string } {
  const r = { root: '', runcRoot: '' };
  before(function () {
    if (spawnSync('runc', ['--version']).status !== 0) this.skip();
  });
  beforeEach(() => { r.root = tempDir('root'); r.runcRoot = tempDir('runc'); });
  afterEach(async () => {
    assertNothingLeft(r.root);
    await fs.rm(r.root, { recursive: true, force: true });
    await fs.rm(r.runcRoot, { recursive: true, force: true });
  });
  return r;
}
