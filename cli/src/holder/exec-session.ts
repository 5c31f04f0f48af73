// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { pumpIn, pumpOut, type OciProcess } from '@cella/core';
import type { SessionTerminal } from '../tty/session-terminal';
import { HolderConnection } from './holder-connection';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Run one process in a container through its holder, relaying this process's stdio and the signals it gets,
 * and resolve with its exit status. `onStarted` runs once the guest runs it (a detached exec reports then).
 * With `terminal` (process.terminal), its streams are relayed instead and its window size follows.
 */
export async function execSession(runDir: string, id: string, proc: OciProcess, onStarted?: () => Promise<void> | void, terminal?: SessionTerminal): Promise<number> {
  const execId = `exec-${randomBytes(6).toString('hex')}`;
  const conn = await HolderConnection.open(runDir);
  const handlers = FORWARDED.map((s) => {
    const h = (): void => { conn.signal(id, execId, constants.signals[s]).catch(() => undefined); };
    process.on(s, h);
    return [s, h] as const;
  });
  try {
    const size = terminal?.size();
    await conn.exec(id, execId, size ? { ...proc, consoleSize: { height: size.rows, width: size.columns } } : proc);
    await terminal?.watchSize((s) => conn.resize(id, execId, s.rows, s.columns));
    await onStarted?.();
    const io = terminal?.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
    const out = Promise.all([pumpOut(conn, 'stdout', id, execId, io.stdout), pumpOut(conn, 'stderr', id, execId, io.stderr)]);
    out.catch(() => undefined);
    pumpIn(conn, id, execId, io.stdin).catch(() => undefined);
    const status = await conn.wait(id, execId);
    await out;
    return status;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    await terminal?.close();
    process.stdin.destroy();
    conn.close();
  }
}
