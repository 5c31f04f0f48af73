// SPDX-License-Identifier: Apache-2.0
import { Args } from '@oclif/core';
import { assertTransition, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { HolderMethod } from '../holder/holder-protocol';

export default class Resume extends BaseCommand<typeof Resume> {
  static override description = 'Resume a paused container (its VM runs again)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume);
    const v = await viewContainer(new StateStore(await this.stateRoot(this.globals(flags))), args.id);
    assertTransition(v.status, 'resume', args.id);
    await callHolder(v.runDir, HolderMethod.Resume);
  }
}
