// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { JournalEntry, UndoHandler } from './journal';
import { terminateProcess } from './proc';

/**
 * The undo handlers core provides. Entry data shapes:
 * - `process`: `{ name, pid?, startTime?, pidFile?, graceMs? }`: killed (TERM, then KILL) if pid+startTime still match.
 * - `path`: `{ path }`: a file, socket or folder, removed recursively.
 * - `mount`: `{ target }`: unmounted (lazily if busy).
 */
export const processUndo: UndoHandler = {
  type: 'process',
  async undo(entry: JournalEntry): Promise<void> {
    const d = entry.data as { pid?: number; startTime?: string; pidFile?: string; graceMs?: number };
    let pid = d.pid;
    if (pid === undefined && d.pidFile) {
      const text = await fs.readFile(d.pidFile, 'utf8').catch(() => '');
      const n = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(n) && n > 1) pid = n;
    }
    if (pid === undefined || pid <= 1) return;
    await terminateProcess(pid, d.startTime, d.graceMs ?? 2000);
  },
};

export const pathUndo: UndoHandler = {
  type: 'path',
  async undo(entry: JournalEntry): Promise<void> {
    const p = entry.data.path;
    if (typeof p !== 'string' || p === '/' || p === '') return;
    await fs.rm(p, { recursive: true, force: true });
  },
};

export const mountUndo: UndoHandler = {
  type: 'mount',
  async undo(entry: JournalEntry): Promise<void> {
    const target = entry.data.target;
    if (typeof target !== 'string') return;
    const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
    if (!mounts.split('\n').some((l) => l.split(' ')[1] === target)) return;
    await new Promise<void>((resolve, reject) => {
      execFile('umount', [target], (err) => {
        if (!err) return resolve();
        execFile('umount', ['-l', target], (err2) => (err2 ? reject(err2) : resolve()));
      });
    });
  },
};

export const CORE_UNDO_HANDLERS: readonly UndoHandler[] = [processUndo, pathUndo, mountUndo];
