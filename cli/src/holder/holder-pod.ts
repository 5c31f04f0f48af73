// SPDX-License-Identifier: Apache-2.0
import { dirname } from 'node:path';
import { E, readBundle, StateStore, validateSandboxId, withGuestNamespaces, type SandboxHandle, type SandboxService } from '@cella/core';
import { podNamespaces } from '../pod';
import type { TtrpcServer } from '@cella/core/ttrpc';
import { decodeContainerRequest, HOLDER_SERVICE, PodMethod } from './holder-protocol';

const EMPTY = new Uint8Array();

export interface PodHolderState {
  /** The sandbox is being torn down (its VM goes with everything in it). */
  exiting(): boolean;
  /** The VM is frozen: the guest cannot answer until `resume`. */
  paused(): boolean;
}

/**
 * A pod sandbox holder's methods for the pod's other containers (docs/adr/0009): each member container is added
 * to this holder's VM with core's `SandboxService.addContainer` (its storage prepared by the sandbox's drivers and
 * journalled in the sandbox's journal), started and removed by id. Adding and removing run one at a time, as the
 * drivers and the hot-plug sequence expect.
 */
export function registerPod(server: TtrpcServer, service: SandboxService, live: SandboxHandle, state: PodHolderState): void {
  const sandbox = live.ctx.id;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => undefined);
    return next;
  };
  const usable = (containerId: string, what: string): void => {
    if (state.exiting()) throw E.SANDBOX_BUSY.create(`The pod sandbox is stopping: cannot ${what} a container in it`, { details: { sandbox, containerId } });
    if (state.paused()) throw E.SANDBOX_BUSY.create(`The pod sandbox is paused: resume it to ${what} a container in it`, { details: { sandbox, containerId } });
  };

  server.register(HOLDER_SERVICE, PodMethod.AddContainer, (p) => serial(async () => {
    const { containerId, bundle } = decodeContainerRequest(p);
    validateSandboxId(containerId);
    if (!bundle) throw E.INVALID_ARGUMENT.create('AddContainer needs the bundle folder', { details: { sandbox, containerId } });
    usable(containerId, 'add');
    const b = await readBundle(bundle);
    // A namespace path naming another container of this pod is joined in the guest (docs/adr/0015).
    const store = new StateStore(dirname(live.ctx.stateDir));
    const joined = await podNamespaces(b.spec, b.configFile, store, { sandboxId: sandbox, annotation: 'sandbox id' });
    await service.addContainer(live, containerId, { ...b, spec: withGuestNamespaces(b.spec, joined) });
    return EMPTY;
  }));
  server.register(HOLDER_SERVICE, PodMethod.StartContainer, async (p) => {
    const { containerId } = decodeContainerRequest(p);
    usable(containerId, 'start');
    await service.startContainer(live, containerId);
    return EMPTY;
  });
  // Idempotent; once the sandbox is stopping there is nothing to do: the VM, and the journal behind it, take it all.
  server.register(HOLDER_SERVICE, PodMethod.RemoveContainer, (p) => serial(async () => {
    const { containerId } = decodeContainerRequest(p);
    if (state.exiting()) return EMPTY;
    usable(containerId, 'remove');
    await service.removeContainer(live, containerId);
    return EMPTY;
  }));
}
