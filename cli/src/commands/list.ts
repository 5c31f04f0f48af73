// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { formatList, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { listEntries } from '../container-view';

export default class List extends BaseCommand<typeof List> {
  static override description = 'List containers (runc\'s table or JSON)';
  static override flags = {
    format: Flags.string({ char: 'f', description: 'Output format', options: ['table', 'json'], default: 'table' }),
    quiet: Flags.boolean({ char: 'q', description: 'Only the ids' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    process.stdout.write(formatList(await listEntries(store), flags.format as 'table' | 'json', flags.quiet));
  }
}

