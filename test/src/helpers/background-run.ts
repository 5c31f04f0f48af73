// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { CELLA } from './cella';

export interface BackgroundRun {
  /** What the container printed so far. */
  output(): string;
  /** SIGTERM to `cella run` (which forwards it), SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; stderr: string }>;
}

/**
 * `cella <args>` (usually `run`) in the background, resolved once the container has printed `marker` on
 * stdout. If it exits first or `timeoutMs` passes, the CLI is killed and awaited and the promise rejects
 * with its output.
 */
export async function runUntilReady(args: string[], opts: { marker?: string; timeoutMs?: number } = {}): Promise<BackgroundRun> {
  const marker = opts.marker ?? 'READY';
  const child = spawn(process.execPath, [CELLA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const closed = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  let exited = false;
  void closed.then(() => { exited = true; });
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!stdout.includes(marker)) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const end = await closed;
      throw new Error(`the container never printed ${marker} (exit ${end.code})\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => stdout,
    stop: async (graceMs = 60_000) => {
      if (!exited) child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try { return await closed; } finally { clearTimeout(late); }
    },
  };
}
