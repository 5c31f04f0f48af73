// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import { nativeSyscalls, ttyStream } from '@cella/core/tty';
import { CELLA } from './cella';

/**
 * What a container engine's shim does around a runtime, for terminal tests: it is a subreaper (so the
 * process named by --pid-file becomes its child once the CLI exits, and it can wait for its status), it
 * listens on a console socket, and it reads and writes the pty master it receives.
 */

const PR_SET_CHILD_SUBREAPER = 36n;

/** Makes this process adopt orphaned descendants (as containerd's shim does); `false` undoes it. */
export function beSubreaper(on: boolean): void {
  nativeSyscalls().sync('prctl', PR_SET_CHILD_SUBREAPER, on ? 1n : 0n);
}

/** wait4(2) on an adopted child (in the thread pool): its exit code, or the signal that killed it. */
export async function waitAdopted(pid: number): Promise<{ code?: number; signal?: number }> {
  const status = Buffer.alloc(4);
  await nativeSyscalls().async('wait4', BigInt(pid), status, 0n, 0n);
  const s = status.readInt32LE(0);
  return (s & 0x7f) === 0 ? { code: (s >> 8) & 0xff } : { signal: s & 0x7f };
}

/**
 * `cella --root ROOT ARGS…` without blocking the event loop (the test's console socket must keep accepting).
 * Output goes to a file: `create` leaves a holder that keeps its stdio, as a shim's fifos would be.
 */
export async function cellaAsync(root: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const file = `${root}.${process.pid}.${Date.now()}.out`;
  const fd = openSync(file, 'w');
  try {
    const child = spawn(process.execPath, [CELLA, '--root', root, ...args], { stdio: ['ignore', fd, fd] });
    const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('exit', resolve); });
    return { code, out: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}

/** A received pty master as a stream, with everything read from it so far and a promise of its end. */
export function readMaster(fd: number): { stream: ReadStream; output: () => string; closed: Promise<void> } {
  const stream = ttyStream(fd);
  let out = '';
  stream.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return { stream, output: () => out, closed };
}
