// SPDX-License-Identifier: Apache-2.0
import { Args } from '@oclif/core';
import { ociStateJson, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { ociRecord, viewContainer } from '../container-view';

export default class State extends BaseCommand<typeof State> {
  static override description = 'Print the state of a container as JSON (runc\'s keys)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(State);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    // runc's bytes exactly: two-space JSON, no trailing newline.
    process.stdout.write(ociStateJson(ociRecord(await viewContainer(store, args.id))));
  }
}
