// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: a real sandbox context (FileJournal in a temp folder, JSON logger into an array). The context's
 * journal also logs each `record` and `complete` into the same array, so a test sees journal entries and
 * sysfs writes in the order they happened.
 */
import * as path from 'node:path';
import type { FileJournal, Journal, JournalEntry } from '@cella/core';
import { makeTestSandbox, type TestSandbox } from '@cella/core/testkit';

/** `journal` is the one on disk; the sandbox sees it through the logging wrapper. */
export type SandboxFixture = TestSandbox;

function loggingJournal(inner: FileJournal, logs: string[]): Journal {
  return {
    async record(type, owner, label, data): Promise<JournalEntry> {
      const e = await inner.record(type, owner, label, data);
      logs.push(JSON.stringify({ msg: 'journal record', seq: e.seq, type, data }));
      return e;
    },
    update: (seq, data) => inner.update(seq, data),
    async complete(seq): Promise<void> {
      await inner.complete(seq);
      logs.push(JSON.stringify({ msg: 'journal complete', seq }));
    },
    entries: () => inner.entries(),
  };
}

export function makeSandboxFixture(): Promise<SandboxFixture> {
  return makeTestSandbox('cella-sriov-sb-', { wrapJournal: loggingJournal });
}

/**
 * The events logged so far, in order, consumed (the next call returns only newer ones):
 * `<file relative to sysfsRoot> <- "<value>"` for each sysfs write, `record <type> <pciAddress> (<originalDriver>)`
 * and `complete <seq>` for the journal.
 */
export function takeEvents(logs: string[], sysfsRoot: string): string[] {
  const out: string[] = [];
  for (const line of logs.splice(0)) {
    const rec = JSON.parse(line) as { msg: string; file?: string; value?: string; seq?: number; type?: string; data?: Record<string, unknown> };
    if (rec.msg === 'sysfs write' && rec.file !== undefined) out.push(`${path.relative(sysfsRoot, rec.file)} <- ${JSON.stringify(rec.value)}`);
    if (rec.msg === 'journal record') out.push(`record ${rec.type} ${String(rec.data?.pciAddress)} (${String(rec.data?.originalDriver)})`);
    if (rec.msg === 'journal complete') out.push(`complete ${rec.seq}`);
  }
  return out;
}

/** Only the sysfs writes of `takeEvents`. */
export function takeSysfsWrites(logs: string[], sysfsRoot: string): string[] {
  return takeEvents(logs, sysfsRoot).filter((e) => e.includes(' <- '));
}
