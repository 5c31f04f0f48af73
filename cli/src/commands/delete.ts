// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { assertTransition, E, isCellaError, OciErrors, StateStore, terminateProcess } from '@cella/core';
import { BaseCommand } from '../base-command';
import { sandboxOf, viewContainer, type ContainerView } from '../container-view';
import { callHolder } from '../holder/holder-client';
import { encodeContainerRequest, PodMethod } from '../holder/holder-protocol';
import { makeSandboxService } from '../sandbox';

export default class Delete extends BaseCommand<typeof Delete> {
  static override description = 'Delete a container and everything its sandbox made (OCI delete)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'Delete even if it is running (kills it and its VM)' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Delete);
    const g = this.globals(flags);
    const store = new StateStore(await this.stateRoot(g));
    let v;
    try {
      v = await viewContainer(store, args.id);
    } catch (err) {
      if (flags.force && isCellaError(err, OciErrors.OCI_NOT_FOUND.code)) return;
      throw err;
    }
    assertTransition(v.status, flags.force ? 'deleteForce' : 'delete', args.id);
    const sandbox = sandboxOf(v.state);
    if (sandbox !== undefined) {
      await deleteMember(store, v, args.id, sandbox, flags.force);
      return;
    }
    const rt = await this.runtime(g);
    // The process that stands for the container (its holder, or a foreground `cella run`) goes first: a created
    // container's init is killed (as runc does), a running one only with --force.
    if (v.status !== 'stopped') await terminateProcess(v.state.owner.pid, v.state.owner.startTime, 0);
    try {
      await makeSandboxService(rt).forceDelete(args.id);
    } catch (err) {
      // A concurrent `delete --force` removed it meanwhile: gone, as asked (runc's --force exits 0 on no container).
      if (!(flags.force && isCellaError(err, E.SANDBOX_NOT_FOUND.code))) throw err;
    }
  }
}

/**
 * A pod member (docs/adr/0009): its holder goes first, then the pod sandbox's holder removes the container from the
 * VM (guest container, devices, storage; nothing when it did so already as the container stopped), then its state
 * folder goes. With the sandbox gone there is nothing left in a VM: its journal unwound the member's storage too.
 */
async function deleteMember(store: StateStore, v: ContainerView, id: string, sandbox: string, force: boolean): Promise<void> {
  if (v.status !== 'stopped') await terminateProcess(v.state.owner.pid, v.state.owner.startTime, 0);
  const pod = await viewContainer(store, sandbox).catch(() => undefined);
  if (pod && pod.status !== 'stopped' && sandboxOf(pod.state) === undefined) {
    try {
      await callHolder(pod.runDir, PodMethod.RemoveContainer, encodeContainerRequest({ containerId: id }));
    } catch (err) {
      // A holder that is not there (it just ended) has taken its VM with it; any other failure is reported
      // (with --force the state goes anyway: what is left in the VM goes with the pod).
      if (!force && !isCellaError(err, E.SANDBOX_NOT_FOUND.code)) throw err;
    }
  }
  await store.remove(id);
}
