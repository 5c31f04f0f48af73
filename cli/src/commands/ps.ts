// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { out, table } from '../render/output';

export default class Ps extends BaseCommand<typeof Ps> {
  static override description = 'Host processes of a container: the process that stands for it (its processes run in the VM)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = { format: Flags.string({ char: 'f', options: ['table', 'json'], default: 'table', description: 'Output format' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ps);
    const v = await viewContainer(new StateStore(await this.stateRoot(this.globals(flags))), args.id);
    const pids = v.pid > 0 ? [v.pid] : [];
    if (flags.format === 'json') out(JSON.stringify(pids));
    else out(table([['PID', 'CMD'], ...pids.map((p) => [String(p), 'cella holder'])]));
  }
}
