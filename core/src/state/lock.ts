// SPDX-License-Identifier: Apache-2.0
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { E } from '../errors/codes';
import { nativeSyscalls } from '../tty/native-syscalls';
import { sleep } from './proc';

export interface Lock { release(): Promise<void> }

const LOCK_EX = 2n;
const LOCK_NB = 4n;

/**
 * An exclusive kernel lock (flock(2)) on the sandbox's lock file (issue #10 item 8). The kernel grants it to
 * one open file at a time and drops it when its holder dies, so a crashed command never wedges a sandbox and
 * no takeover (check-then-act) is needed. The file itself is never removed on its own: it goes with the
 * sandbox folder, removed by the lock's holder; a waiter that then gets the lock on the removed file sees
 * that the path is gone (SANDBOX_NOT_FOUND) or names another file (it retries on the new one).
 * Waits up to `timeoutMs` for another holder.
 */
export async function acquireLock(path: string, timeoutMs = 30_000): Promise<Lock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, 'a', 0o600);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw gone(path, cause);
      throw cause;
    }
    let held = false;
    try {
      held = tryFlock(fd);
      if (held) {
        const now = statOrUndefined(path);
        if (now === undefined) throw gone(path);
        if (now.ino === fstatSync(fd).ino && now.dev === fstatSync(fd).dev) {
          const lockFd = fd;
          return { release: () => { closeSync(lockFd); return Promise.resolve(); } };
        }
        held = false; // the folder was removed and made again: lock the new file
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (!held) closeSync(fd);
    if (Date.now() > deadline) {
      throw E.STATE_LOCKED.create('The sandbox is locked by another command', { details: { lock: path, timeoutMs } });
    }
    await sleep(50);
  }
}

/** True when the lock was taken; false while another open file holds it. */
function tryFlock(fd: number): boolean {
  try {
    nativeSyscalls().sync('flock', BigInt(fd), LOCK_EX | LOCK_NB);
    return true;
  } catch (err) {
    // syscall-napi gives strerror's text only.
    if (/temporarily unavailable|would block/i.test((err as Error).message)) return false;
    throw err;
  }
}

function statOrUndefined(path: string): { ino: number; dev: number } | undefined {
  try { return statSync(path); } catch { return undefined; }
}

function gone(path: string, cause?: unknown): Error {
  return E.SANDBOX_NOT_FOUND.create('The container does not exist', { cause, details: { lock: path } });
}
