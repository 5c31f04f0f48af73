// SPDX-License-Identifier: Apache-2.0
import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { HolderMethod } from '../holder/holder-protocol';
import { assertTransition, StateStore } from '@cella/core';

export default class Start extends BaseCommand<typeof Start> {
  static override description = 'Run the process of a created container (OCI start)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Start);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    const v = await viewContainer(store, args.id);
    assertTransition(v.status, 'start', args.id);
    await callHolder(v.runDir, HolderMethod.Start);
  }
}
