// SPDX-License-Identifier: Apache-2.0
import { isAlive, notFound, rfc3339Nano, type OciContainerRecord, type SandboxState, type StateStore } from '@cella/core';

/** A container's state as the OCI commands see it: a live status (its holder may have died) and runc's pid. */
export interface ContainerView {
  state: SandboxState;
  status: SandboxState['status'];
  /** The holder's pid; 0 once stopped (as runc). */
  pid: number;
  runDir: string;
}

export async function viewContainer(store: StateStore, id: string): Promise<ContainerView> {
  if (!(await store.exists(id))) throw notFound(id);
  const state = await store.read<SandboxState>(id);
  const alive = isAlive(state.owner.pid, state.owner.startTime);
  const status = state.status !== 'stopped' && !alive ? 'stopped' : state.status;
  return { state, status, pid: status === 'stopped' ? 0 : state.owner.pid, runDir: store.paths(id).runDir };
}

/**
 * The runtime-spec version `state` reports. runc 1.1.5 reports the version of the spec library it implements
 * ("1.0.2-dev"), not the bundle's; engines compare against runc, so Cella reports the same.
 */
export const OCI_RUNTIME_SPEC_VERSION = '1.0.2-dev';

/** The record core's runc-exact `state`/`list` formatters take. */
export function ociRecord(v: ContainerView): OciContainerRecord {
  const s = v.state;
  return {
    ociVersion: OCI_RUNTIME_SPEC_VERSION, id: s.id, pid: v.pid, status: v.status, bundle: s.bundle, rootfs: s.rootfs,
    created: rfc3339Nano(new Date(s.createdAt)), annotations: s.annotations,
  };
}
