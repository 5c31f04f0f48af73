// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { assertTransition, E, parseSignal, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { encodeKill, HolderMethod } from '../holder/holder-protocol';

export default class Kill extends BaseCommand<typeof Kill> {
  static override description = 'Send a signal to the container\'s process (default SIGTERM)';
  static override args = {
    id: Args.string({ description: 'Container id', required: true }),
    signal: Args.string({ description: 'Signal name or number', default: 'SIGTERM' }),
  };
  static override flags = { all: Flags.boolean({ char: 'a', description: 'Signal every process of the container' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Kill);
    const signal = parseSignal(args.signal);
    const store = new StateStore(await this.stateRoot(this.globals(flags)));
    const v = await viewContainer(store, args.id);
    assertTransition(v.status, flags.all ? 'killAll' : 'kill', args.id);
    if (v.status === 'stopped') return;
    // runc accepts any number and lets the kernel refuse it; the guest needs a real one.
    if (signal < 1 || signal > 64) throw E.INVALID_SIGNAL.create('unable to signal init: invalid argument', { details: { signal } });
    await callHolder(v.runDir, HolderMethod.Kill, encodeKill({ signal, all: flags.all }));
  }
}
