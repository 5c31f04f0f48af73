// SPDX-License-Identifier: Apache-2.0
import { readFileSync, statSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { formatList, listEntry, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { ociRecord, viewContainer, type ContainerView } from '../container-view';

export default class List extends BaseCommand<typeof List> {
  static override description = 'List containers (runc\'s table or JSON)';
  static override flags = {
    format: Flags.string({ char: 'f', description: 'Output format', options: ['table', 'json'], default: 'table' }),
    quiet: Flags.boolean({ char: 'q', description: 'Only the ids' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    const entries = [];
    for (const id of await store.list()) {
      const v: ContainerView | undefined = await viewContainer(store, id).catch(() => undefined);
      if (v) entries.push(listEntry(ociRecord(v), ownerOf(store.paths(id).stateDir)));
    }
    process.stdout.write(formatList(entries, flags.format as 'table' | 'json', flags.quiet));
  }
}

/** As runc: the owner of the container's state folder, by name, or `#<uid>` when it has none. */
function ownerOf(stateDir: string): string {
  let uid: number;
  try { uid = statSync(stateDir).uid; } catch { return ''; }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0]!;
    }
  } catch { /* no passwd file: fall through */ }
  return `#${uid}`;
}
