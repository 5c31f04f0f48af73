// SPDX-License-Identifier: Apache-2.0
import { constants } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { E, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { encodeKill, HolderMethod } from '../holder/holder-protocol';

/** runc's signal argument: a number, or a name with or without SIG, any case. */
export function parseSignal(arg: string): number {
  if (/^\d+$/.test(arg)) {
    const n = Number(arg);
    if (n > 0 && n < 65) return n;
  } else {
    const name = arg.toUpperCase().startsWith('SIG') ? arg.toUpperCase() : `SIG${arg.toUpperCase()}`;
    const n = (constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw E.INVALID_SIGNAL.create(`unknown signal "${arg}"`, { details: { signal: arg } });
}

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
    if (v.status === 'stopped' || v.status === 'creating') {
      if (flags.all) return;
      throw E.SANDBOX_BUSY.create('container not running', { details: { id: args.id } });
    }
    await callHolder(v.runDir, HolderMethod.Kill, encodeKill({ signal, all: flags.all }));
  }
}
