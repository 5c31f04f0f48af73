// SPDX-License-Identifier: Apache-2.0
import { Args } from '@oclif/core';
import { E } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { HolderMethod } from '../holder/holder-protocol';
import { StateStore } from '@cella/core';

/** runc's refusals, by state (research: runc 1.1.5 state machine). */
const REFUSE: Record<string, string> = {
  running: 'cannot start an already running container',
  paused: 'cannot start a container in the paused state',
  stopped: 'cannot start a container that has stopped',
  creating: 'cannot start a container that is still being created',
};

export default class Start extends BaseCommand<typeof Start> {
  static override description = 'Run the process of a created container (OCI start)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Start);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    const v = await viewContainer(store, args.id);
    if (v.status !== 'created') throw E.SANDBOX_BUSY.create(REFUSE[v.status] ?? `cannot start a container in the ${v.status} state`, { details: { id: args.id } });
    await callHolder(v.runDir, HolderMethod.Start);
  }
}
