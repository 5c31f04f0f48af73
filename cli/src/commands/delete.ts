// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { assertTransition, isCellaError, OciErrors, terminateProcess } from '@cella/core';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { makeSandboxService } from '../sandbox';

export default class Delete extends BaseCommand<typeof Delete> {
  static override description = 'Delete a container and everything its sandbox made (OCI delete)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'Delete even if it is running (kills it and its VM)' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Delete);
    const rt = await this.runtime(this.globals(flags));
    let v;
    try {
      v = await viewContainer(rt.store, args.id);
    } catch (err) {
      if (flags.force && isCellaError(err, OciErrors.OCI_NOT_FOUND.code)) return;
      throw err;
    }
    assertTransition(v.status, flags.force ? 'deleteForce' : 'delete', args.id);
    // The process that stands for the container (its holder, or a foreground `cella run`) goes first: a created
    // container's init is killed (as runc does), a running one only with --force.
    if (v.status !== 'stopped') await terminateProcess(v.state.owner.pid, v.state.owner.startTime, 0);
    await makeSandboxService(rt).forceDelete(args.id);
  }
}
