// SPDX-License-Identifier: Apache-2.0
import { token } from '../di';

export interface JournalEntry {
  seq: number;
  /** Which UndoHandler undoes it: `process`, `path`, `mount`, or a plugin's own type. */
  type: string;
  /** Who made it (plugin id or `core`). */
  owner: string;
  label: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/**
 * The sandbox's teardown journal, persisted in its state folder. Every side effect is recorded
 * *before* it is made, updated once its identity is known (a pid), and completed once undone.
 */
export interface Journal {
  record(type: string, owner: string, label: string, data: Record<string, unknown>): Promise<JournalEntry>;
  update(seq: number, data: Record<string, unknown>): Promise<void>;
  /** Drop the entry: the effect was undone by its owner (or never happened). */
  complete(seq: number): Promise<void>;
  entries(): readonly JournalEntry[];
}

/** Knows how to undo one entry type from its recorded data alone (no live objects: crash recovery). */
export interface UndoHandler {
  type: string;
  undo(entry: JournalEntry): Promise<void>;
}
export const UndoHandler = token<UndoHandler>('UndoHandler');
