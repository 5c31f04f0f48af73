// SPDX-License-Identifier: Apache-2.0
/** Test-only: drive the real runc so Cella's OCI pieces are checked against it, not against copied strings. */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RuncResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The `msg` of runc's last error log line. */
  error: string | undefined;
}

/** True when a runc binary can be run. */
export function hasRunc(): boolean {
  return spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Run runc with JSON logs on stderr (global flags go first in `args`, e.g. `--root DIR`); `asUser` runs it
 * with that uid and gid (setpriv, needs root).
 */
export function runc(args: string[], asUser?: number): RuncResult {
  const full = ['--log-format', 'json', ...args];
  const [cmd, argv] = asUser === undefined
    ? ['runc', full]
    : ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'runc', ...full]];
  // Output goes to files, not pipes: a container made by `create` inherits runc's stdout and stderr and
  // would hold a pipe open for as long as it lives.
  const dir = mkdtempSync(join(tmpdir(), 'cella-runc-out-'));
  const fds = [openSync(join(dir, 'out'), 'w+'), openSync(join(dir, 'err'), 'w+')];
  try {
    const r = spawnSync(cmd, argv, { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 30_000 });
    const stdout = readFileSync(join(dir, 'out'), 'utf8');
    const stderr = readFileSync(join(dir, 'err'), 'utf8');
    return { code: r.status, stdout, stderr, error: lastError(stderr) };
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastError(stderr: string): string | undefined {
  let msg: string | undefined;
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { level?: string; msg?: string };
    if (rec.level === 'error') msg = rec.msg;
  }
  return msg;
}

/** The bytes `runc spec [--rootless]` writes, made in a fresh temp folder that is removed afterwards. */
export function runcSpecText(rootless = false, asUser?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cella-runc-spec-'));
  try {
    if (asUser !== undefined) chmodSync(dir, 0o777);
    const r = runc(['spec', ...(rootless ? ['--rootless'] : []), '--bundle', dir], asUser);
    if (r.code !== 0) throw new Error(`runc spec failed (${r.code}): ${r.stderr}`);
    return readFileSync(join(dir, 'config.json'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
