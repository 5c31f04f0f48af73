// SPDX-License-Identifier: Apache-2.0
import { appendFileSync } from 'node:fs';

/**
 * Keep this process alive when its stdout or stderr cannot take a write (issues #10 item 1, #17 item 1).
 * containerd's shim gives `create` a /dev/null opened read-only (EBADF), a caller may close its end of a pipe
 * (EPIPE) or hand us a closed fd: Node then emits 'error' on the stream, and with no listener that kills the
 * process with a stack trace, in the middle of making a sandbox. Instead the first failure of each stream is
 * noted in the `--log` file (the only place an engine reads a runtime's errors from) and later output to that
 * stream is dropped. `onGone` lets a relay react (a container whose stdout reader left gets SIGPIPE).
 */
export function guardStdio(logFile: string | undefined, name: string, onGone?: (stream: 'stdout' | 'stderr', code: string) => void): void {
  for (const [which, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    let noted = false;
    const listener = (err: NodeJS.ErrnoException): void => {
      if (noted) return;
      noted = true;
      const code = err.code ?? 'EIO';
      if (logFile) {
        const line = JSON.stringify({ level: 'warn', name, msg: `${which} cannot be written; its output is dropped`, code, time: new Date().toISOString() });
        try { appendFileSync(logFile, `${line}\n`); } catch { /* the log is best effort */ }
      }
      onGone?.(which, code);
    };
    GUARDS.add(listener);
    stream.on('error', listener);
  }
}

const GUARDS = new Set<unknown>();

/**
 * oclif adds its own 'error' listener to stdout, which rethrows anything but EPIPE (an EBADF from a read-only
 * stdout then kills the command after its work is done). Called once oclif is loaded: only our guard stays.
 */
export function dropOtherStdioErrorListeners(): void {
  for (const stream of [process.stdout, process.stderr]) {
    for (const l of stream.listeners('error')) if (!GUARDS.has(l)) stream.off('error', l as (...a: unknown[]) => void);
  }
}

/** The value of `--log` in raw CLI arguments (`--log F` or `--log=F`), before oclif parses them. */
export function logFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--log') return argv[i + 1];
    if (a.startsWith('--log=')) return a.slice('--log='.length);
  }
  return undefined;
}
