// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { E } from '../errors/codes';
import type { Logger } from '../log/logger';
import { readJsonFile, writeFileAtomic } from './atomic-file';
import type { Journal, JournalEntry, UndoHandler } from './journal';

interface JournalFile { version: 1; nextSeq: number; entries: JournalEntry[] }

export const JOURNAL_FILE = 'journal.json';

/** The teardown journal kept as `journal.json` in the sandbox state folder; every change is written atomically. */
export class FileJournal implements Journal {
  private data: JournalFile = { version: 1, nextSeq: 1, entries: [] };
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(stateDir: string): Promise<FileJournal> {
    const j = new FileJournal(join(stateDir, JOURNAL_FILE));
    const found = await readJsonFile<JournalFile>(j.path).catch((cause: unknown) => {
      throw E.STATE_CORRUPT.create('The sandbox journal cannot be read', { cause, details: { file: j.path } });
    });
    if (found) {
      if (found.version !== 1 || !Array.isArray(found.entries)) {
        throw E.STATE_CORRUPT.create('The sandbox journal has an unknown format', { details: { file: j.path } });
      }
      j.data = found;
    } else {
      await j.flush();
    }
    return j;
  }

  async record(type: string, owner: string, label: string, data: Record<string, unknown>): Promise<JournalEntry> {
    const entry: JournalEntry = { seq: this.data.nextSeq++, type, owner, label, data, createdAt: new Date().toISOString() };
    this.data.entries.push(entry);
    await this.flush();
    return entry;
  }

  async update(seq: number, data: Record<string, unknown>): Promise<void> {
    const e = this.data.entries.find((x) => x.seq === seq);
    if (!e) return;
    e.data = { ...e.data, ...data };
    await this.flush();
  }

  async complete(seq: number): Promise<void> {
    const before = this.data.entries.length;
    this.data.entries = this.data.entries.filter((x) => x.seq !== seq);
    if (this.data.entries.length !== before) await this.flush();
  }

  entries(): readonly JournalEntry[] {
    return this.data.entries;
  }

  /**
   * Undo every entry, newest first, with the handler for its type. An entry whose undo fails stays in the
   * journal (so a later `delete --force` can retry) and the errors are reported together.
   */
  async unwind(handlers: readonly UndoHandler[], logger: Logger): Promise<Error[]> {
    const byType = new Map(handlers.map((h) => [h.type, h]));
    const failures: Error[] = [];
    for (const entry of [...this.data.entries].reverse()) {
      const h = byType.get(entry.type);
      if (!h) {
        failures.push(E.TEARDOWN.create(`No undo handler for journal entry type "${entry.type}"`, { details: { entry: entry.label, owner: entry.owner } }));
        continue;
      }
      try {
        await h.undo(entry);
        await this.complete(entry.seq);
        logger.debug('undone', { entry: entry.label, type: entry.type });
      } catch (err) {
        logger.warn('undo failed', { entry: entry.label, type: entry.type, err });
        failures.push(err as Error);
      }
    }
    return failures;
  }

  private flush(): Promise<void> {
    const text = JSON.stringify(this.data, undefined, 1);
    this.writing = this.writing.then(() => writeFileAtomic(this.path, text));
    return this.writing;
  }
}
