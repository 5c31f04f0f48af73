// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { CELLA } from './cella';

/**
 * How engines may hand us stdout/stderr (issues #10 item 1, #17 item 1): /dev/null opened read-only (containerd's
 * shim), a closed fd, or a pipe whose reader is gone.
 */
export const STDIO_MODES = ['read-only', 'closed', 'broken-pipe'] as const;
export type StdioMode = typeof STDIO_MODES[number];

export interface Outcome { code: number | null; signal: NodeJS.Signals | null }

/** Run `cella args` with both stdout and stderr in `mode`. */
export function cellaWithStdio(mode: StdioMode, args: string[], timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let child;
    let ro: number | undefined;
    if (mode === 'read-only') {
      ro = openSync('/dev/null', 'r');
      child = spawn(process.execPath, [CELLA, ...args], { stdio: ['ignore', ro, ro] });
    } else if (mode === 'closed') {
      // Node cannot spawn with a closed fd: a shell closes them just before it becomes cella.
      child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" >&- 2>&-', process.execPath, CELLA, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    } else {
      child = spawn(process.execPath, [CELLA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      // The reader goes away at once: every write gets EPIPE.
      child.stdout!.destroy();
      child.stderr!.destroy();
    }
    if (ro !== undefined) closeSync(ro);
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`cella ${args.join(' ')} (${mode}) timed out`)); }, timeoutMs);
    child.on('error', reject);
    // 'exit', not 'close': a holder keeps the caller's stdio open as long as the container lives.
    child.on('exit', (code, signal) => { clearTimeout(t); resolve({ code, signal }); });
  });
}
