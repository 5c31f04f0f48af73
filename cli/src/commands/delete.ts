// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { E, isAlive, type SandboxState } from '@cella/core';
import { BaseCommand } from '../base-command';
import { makeSandboxService } from '../sandbox';

export default class Delete extends BaseCommand<typeof Delete> {
  static override description = 'Delete a container and everything its sandbox made (from its journal)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'Delete even if it is running (kills the VM)' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Delete);
    const rt = await this.runtime(this.globals(flags));
    const st = await rt.store.read<SandboxState>(args.id);
    if (!flags.force && isAlive(st.owner.pid, st.owner.startTime)) {
      throw E.SANDBOX_BUSY.create('The container is running; stop it first or use --force', { details: { id: args.id, status: st.status } });
    }
    await makeSandboxService(rt).forceDelete(args.id);
  }
}
