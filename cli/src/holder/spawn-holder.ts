// SPDX-License-Identifier: Apache-2.0
import { isCellaError, terminateProcess, writeFileAtomic, type StateStore } from '@cella/core';
import { spawnReporting } from './child-report';

/**
 * Start the process that stands for a new container (`create`, `run -d`) and write its pid to the pid file.
 * A failed create leaves nothing (issue #10 item 5): when the holder died before it reported (killed, or it
 * crashed) or the pid file cannot be written after all, the holder is stopped and `undo` removes what its
 * state folder's journal holds. A folder whose owner is another process (an id taken meanwhile) is not ours.
 */
export async function spawnHolder(store: StateStore, id: string, script: string, opts: unknown, ownStdio: boolean, pidFile: string | undefined, undo: () => Promise<void>): Promise<number> {
  let holderPid: number | undefined;
  try {
    holderPid = await spawnReporting(script, opts, 'container holder', ownStdio);
    if (pidFile) await writeFileAtomic(pidFile, String(holderPid), 0o644);
    return holderPid;
  } catch (err) {
    const pid = holderPid ?? (isCellaError(err) ? (err.details as { pid?: unknown }).pid : undefined);
    if (typeof pid === 'number' && (await ownedBy(store, id, pid))) {
      await terminateProcess(pid, undefined, 2000);
      await undo().catch(() => undefined);
    }
    throw err;
  }
}

async function ownedBy(store: StateStore, id: string, pid: number): Promise<boolean> {
  const st = await store.read<{ owner?: { pid?: number } }>(id).catch(() => undefined);
  return st?.owner?.pid === pid;
}
