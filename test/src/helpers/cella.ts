// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, promises as fs, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..', '..');
export const CELLA = join(REPO, 'cli', 'bin', 'run.js');
export const HELLO = join(REPO, 'examples', 'hello');

export interface CellaResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run the real `cella` CLI as a user would, optionally feeding stdin. */
export function cella(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<CellaResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CELLA, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cella ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr }); });
    if (child.pid && opts.onSpawn) opts.onSpawn(child.pid);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

const madeDirs = new Set<string>();

/** A temporary folder, removed after the run (a root-level mocha hook) whatever the test did with it. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cella-${prefix}-`));
  madeDirs.add(dir);
  return dir;
}

if (typeof after === 'function') {
  after(() => {
    for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
    madeDirs.clear();
  });
}

/** A bundle using the hello rootfs with the given process args. */
export async function makeBundle(args: string[], patch: (spec: Record<string, unknown>) => void = () => undefined): Promise<string> {
  const dir = tempDir('bundle');
  const spec = JSON.parse(readFileSync(join(HELLO, 'config.json'), 'utf8'));
  spec.process.args = args;
  spec.root.path = join(HELLO, 'rootfs');
  patch(spec);
  await fs.writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** Processes whose command line, or QEMU's CELLA_RUN_DIR, mentions `needle` (e.g. a test's state root). */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      // QEMU opens nothing by path (docs/adr/0012): its run folder is in its environment (CELLA_RUN_DIR).
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('CELLA_RUN_DIR=')) ?? '';
      if (cmd.includes(needle) || env.includes(needle)) found.push(`${pid} ${cmd.slice(0, 200)}`);
    } catch { /* gone */ }
  }
  return found;
}

/** Everything under a folder, recursively (for "nothing left behind"). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names) { out.push(join(d, n)); walk(join(d, n)); }
  };
  walk(dir);
  return out;
}

/** What every real-VM test checks after each case: no process of the sandbox runs and the state root is empty. */
export function assertNothingLeft(root: string): void {
  assert.deepEqual(processesMentioning(root), [], 'no process of the sandbox is left running');
  assert.deepEqual(listTree(root), [], 'no state is left under the root dir');
}

/**
 * `cella` with stdout and stderr to a file, done when the process exits. For `create` and `start`: the holder
 * keeps their stdio (as it keeps a shim's fifos), so a pipe would stay open until the container ends.
 * `onSpawn` gets the child (to kill it mid-way).
 */
export function cellaToFile(args: string[], opts: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<CellaResult> {
  const out = join(tempDir('out'), 'out.txt');
  const fd = openSync(out, 'w');
  return new Promise<CellaResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CELLA, ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cella ${args.join(' ')} timed out`)); }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      const text = readFileSync(out, 'utf8');
      resolve({ code, signal, stdout: text, stderr: text });
    });
    opts.onSpawn?.(child);
  });
}
