// SPDX-License-Identifier: Apache-2.0
import { readFileSync, statSync } from 'node:fs';
// The light subpath: `state` and `list` run on the fast path (fast-path.ts) without DI or ajv.
import {
  isAlive, listEntry, notFound, rfc3339Nano, type OciContainerRecord, type OciListEntry, type SandboxState, type StateStore,
} from '@cella/core/oci-state';

/** A container's state as the OCI commands see it: a live status (its holder may have died) and runc's pid. */
export interface ContainerView {
  state: SandboxState;
  status: SandboxState['status'];
  /** The holder's pid; 0 once stopped (as runc). */
  pid: number;
  runDir: string;
}

/**
 * A pod member (docs/adr/0009) runs in another container's VM: its state names that pod sandbox. Its own
 * holder stands for it (pid, status, start, kill); the sandbox's holder owns the agent connection.
 */
export function sandboxOf(state: SandboxState): string | undefined {
  const s = (state as SandboxState & { sandboxId?: unknown }).sandboxId;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

/** The run folder of the holder that owns the container's agent connection (exec goes there): its pod sandbox's for a member. */
export function agentRunDir(store: StateStore, v: ContainerView): string {
  const sandbox = sandboxOf(v.state);
  return sandbox === undefined ? v.runDir : store.paths(sandbox).runDir;
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

/** As runc: the owner of the container's state folder, by name, or `#<uid>` when it has none. */
export function ownerOf(stateDir: string): string {
  let uid: number;
  try { uid = statSync(stateDir).uid; } catch { return ''; }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && f[2] !== '' && Number(f[2]) === uid) return f[0]!;
    }
  } catch { /* no passwd file: fall through */ }
  return `#${uid}`;
}

/** What `list` shows: every container whose state is readable, with its owner. */
export async function listEntries(store: StateStore): Promise<OciListEntry[]> {
  const entries: OciListEntry[] = [];
  for (const id of await store.list()) {
    const v = await viewContainer(store, id).catch(() => undefined);
    if (v) entries.push(listEntry(ociRecord(v), ownerOf(store.paths(id).stateDir)));
  }
  return entries;
}
