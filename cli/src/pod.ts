// SPDX-License-Identifier: Apache-2.0
import { assertTransition, E, resolveNamespacePaths, type JoinedNamespace, type OciSpec, type StateStore } from '@cella/core';
import { sandboxOf, viewContainer } from './container-view';

/**
 * The OCI annotations a Kubernetes CRI puts on each container of a pod (docs/adr/0009): containerd's CRI plugin
 * and CRI-O's. The pod sandbox ("pause") container has type `sandbox`; every other container of the pod has type
 * `container` and the sandbox container's id.
 */
export const POD_ANNOTATIONS = [
  { type: 'io.kubernetes.cri.container-type', sandboxId: 'io.kubernetes.cri.sandbox-id' },
  { type: 'io.kubernetes.cri-o.ContainerType', sandboxId: 'io.kubernetes.cri-o.SandboxID' },
] as const;

export interface PodMembership {
  /** The pod sandbox container whose VM this container joins. */
  sandboxId: string;
  /** The annotation that named it (errors name it). */
  annotation: string;
}

/**
 * Whether the bundle's annotations make container `id` a member of another container's pod: undefined for a
 * container with a VM of its own (no CRI annotations, or type `sandbox`). A type other than `sandbox` or
 * `container`, a member without a sandbox id, or one naming itself is refused, naming the annotation and the file.
 */
export function podMembership(annotations: Record<string, string> | undefined, id: string, file: string): PodMembership | undefined {
  for (const keys of POD_ANNOTATIONS) {
    const type = annotations?.[keys.type];
    if (type === undefined) continue;
    if (type === 'sandbox') return undefined;
    if (type !== 'container') {
      throw E.BUNDLE_INVALID.create(`annotation ${keys.type} is "${type.slice(0, 64)}": expected "sandbox" or "container"`, {
        details: { file, annotation: keys.type },
      });
    }
    const sandboxId = annotations?.[keys.sandboxId];
    if (!sandboxId) {
      throw E.BUNDLE_INVALID.create(`annotation ${keys.type} is "container" but ${keys.sandboxId} is missing: it must name the pod's sandbox container`, {
        details: { file, annotation: keys.sandboxId },
      });
    }
    if (sandboxId === id) {
      throw E.BUNDLE_INVALID.create(`annotation ${keys.sandboxId} names the container itself (${id}), but ${keys.type} says it is not the pod sandbox`, {
        details: { file, annotation: keys.sandboxId, id },
      });
    }
    return { sandboxId, annotation: keys.sandboxId };
  }
  return undefined;
}

/**
 * The pod sandbox a member joins must be a container in the same state root, with a VM of its own (not a member
 * itself), created and not stopped (its holder alive). Returns its holder's run folder.
 */
export async function checkPodSandbox(store: StateStore, pod: PodMembership, id: string): Promise<string> {
  const { sandboxId, annotation } = pod;
  const details = { annotation, sandboxId, id, root: store.root };
  const exists = await store.exists(sandboxId).catch(() => {
    throw E.BUNDLE_INVALID.create(`annotation ${annotation} is "${sandboxId.slice(0, 140)}", which is not a valid container id`, { details });
  });
  if (!exists) {
    throw E.SANDBOX_NOT_FOUND.create(`annotation ${annotation} names pod sandbox ${sandboxId}, but there is no container with that id`, { details });
  }
  const v = await viewContainer(store, sandboxId);
  const parent = sandboxOf(v.state);
  if (parent !== undefined) {
    throw E.BUNDLE_INVALID.create(`annotation ${annotation} names ${sandboxId}, which is not a pod sandbox: it is a container of pod sandbox ${parent}`, {
      details: { ...details, itsSandbox: parent },
    });
  }
  if (v.status === 'stopped') {
    throw E.SANDBOX_BUSY.create(`annotation ${annotation} names pod sandbox ${sandboxId}, which has stopped`, { details: { ...details, status: v.status } });
  }
  if (v.status === 'creating') {
    throw E.SANDBOX_BUSY.create(`annotation ${annotation} names pod sandbox ${sandboxId}, which is still being created`, { details: { ...details, status: v.status } });
  }
  return v.runDir;
}

/** runc's refusal of a `create` whose id is taken ("container with given ID already exists"); nothing is made. */
export async function assertIdFree(store: StateStore, id: string): Promise<void> {
  if (!(await store.exists(id))) return;
  const v = await viewContainer(store, id).catch(() => undefined);
  assertTransition(v?.status ?? 'creating', 'create', id);
}

/**
 * The host pids that stand for the containers of pod sandbox `sandboxId` (its own holder and its members'
 * holders, as `state` reports them), by container id, for `resolveNamespacePaths`: a member may join their
 * namespaces in the guest. Stopped containers are left out (their pid is 0).
 */
export async function podPeers(store: StateStore, sandboxId: string): Promise<Map<number, string>> {
  const peers = new Map<number, string>();
  for (const id of await store.list()) {
    const v = await viewContainer(store, id).catch(() => undefined);
    if (!v || v.pid === 0 || (id !== sandboxId && sandboxOf(v.state) !== sandboxId)) continue;
    peers.set(v.pid, id);
  }
  return peers;
}

/**
 * The namespaces of `spec` that join another container of its pod (none for a container with a VM of its own);
 * every other non-network namespace path is refused, naming the field (docs/adr/0015).
 */
export async function podNamespaces(spec: OciSpec, file: string, store: StateStore | undefined, pod: PodMembership | undefined): Promise<JoinedNamespace[]> {
  const peers = pod && store ? await podPeers(store, pod.sandboxId) : new Map<number, string>();
  return resolveNamespacePaths(spec, file, peers);
}
