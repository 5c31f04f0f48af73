// SPDX-License-Identifier: Apache-2.0
import { userInfo } from 'node:os';
import { Flags } from '@oclif/core';
import { StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { ociState, viewContainer, type ContainerView } from '../container-view';
import { out, table } from '../render/output';

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
    if (flags.quiet) { if (views.length) out(views.map((v) => v.state.id).join('\n')); return; }
    const owner = userInfo().username;
    if (flags.format === 'json') {
      out(views.length ? JSON.stringify(views.map((v) => ociState(v, owner))) : 'null');
      return;
    }
    out(table([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ...views.map((v) => [v.state.id, String(v.pid), v.status, v.state.bundle, v.state.createdAt, owner])]));
  }
}
