// SPDX-License-Identifier: Apache-2.0
import { userInfo } from 'node:os';
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
    const views: ContainerView[] = [];
    for (const id of await store.list()) {
      const v = await viewContainer(store, id).catch(() => undefined);
      if (v) views.push(v);
    }
    const owner = userInfo().username;
    process.stdout.write(formatList(views.map((v) => listEntry(ociRecord(v), owner)), flags.format as 'table' | 'json', flags.quiet));
  }
}
