// SPDX-License-Identifier: Apache-2.0
import { readlink } from 'node:fs/promises';
import { E } from '../errors';
import type { OciSpec } from './spec';

/**
 * The name of each OCI namespace type under `/proc/<pid>/ns/`, which is also the type `readlink` shows
 * (`ipc:[4026531839]`).
 */
export const NAMESPACE_FILES: Readonly<Record<string, string>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/**
 * What a joined namespace's `path` becomes in the spec sent to the guest: `cella-container:<id>/ns/<file>`. The
 * guest agent turns it into `/proc/<pid of that container's init in the guest>/ns/<file>`. It is not an absolute
 * path, so it can never be mistaken for one.
 */
export const GUEST_NAMESPACE_SCHEME = 'cella-container:';

/** A namespace of the spec that joins the namespace of another container of the same sandbox. */
export interface JoinedNamespace { index: number; type: string; containerId: string }

const PROC_NS = /^\/proc\/([1-9][0-9]{0,9})\/ns\/([a-z_]{1,16})$/;

/**
 * Reads `linux.namespaces[].path` as a VM runtime must (docs/adr/0015). A container's namespaces live in its VM,
 * so a host path can mean only one thing: `/proc/<pid>/ns/<type>` of a host process that stands for another
 * container of the same sandbox (its holder, whose pid `state` reports, as CRI passes the pause container's). That
 * becomes a namespace to join in the guest. A network path is left to the network plugin, as before. Anything else
 * is refused naming `linux.namespaces[i].path`: a path whose namespace is not of the entry's `type`, a path that
 * cannot be read, the namespace of any other host process. `peers` maps the host pids that stand for the other
 * containers of the sandbox to their ids (empty for a container with a VM of its own).
 */
export async function resolveNamespacePaths(spec: OciSpec, file: string, peers: ReadonlyMap<number, string>): Promise<JoinedNamespace[]> {
  const joined: JoinedNamespace[] = [];
  const namespaces = spec.linux?.namespaces ?? [];
  for (const [index, ns] of namespaces.entries()) {
    if (ns.path === undefined || ns.path === '') continue;
    const field = `linux.namespaces[${index}].path`;
    const refuse = (why: string, details: Record<string, unknown> = {}): never => {
      throw E.BUNDLE_INVALID.create(`${field} ${why}`, { details: { file, field, path: ns.path!.slice(0, 256), type: ns.type, ...details } });
    };
    const want = NAMESPACE_FILES[ns.type];
    if (want === undefined) refuse(`is given for a namespace of unknown type "${String(ns.type).slice(0, 32)}"`);
    const kind = await namespaceKind(ns.path);
    if (ns.type === 'network') {
      // A network namespace is carried into the VM by the network plugin; a bind-mounted netns file cannot be
      // read as a link, so only a /proc link is checked for its type here.
      if (kind !== undefined && kind !== want) refuse(`names a "${kind}" namespace, but the entry's type is network`, { kind });
      continue;
    }
    if (kind === undefined) refuse('is not a namespace link /proc/<pid>/ns/<type> that can be read: a container in a VM can only join a namespace of another container of its pod');
    if (kind !== want) refuse(`names a "${kind}" namespace, but the entry's type is ${ns.type}`, { kind });
    const m = PROC_NS.exec(ns.path);
    const containerId = m ? peers.get(Number(m[1])) : undefined;
    if (containerId === undefined) {
      refuse('names a namespace of a host process that is not a container of this pod: the container runs in a VM and cannot join the host\'s namespaces', { pid: m ? Number(m[1]) : undefined });
    }
    joined.push({ index, type: ns.type, containerId: containerId! });
  }
  return joined;
}

/** The spec with each joined namespace's path in the guest's form (see GUEST_NAMESPACE_SCHEME). */
export function withGuestNamespaces<T extends OciSpec>(spec: T, joined: readonly JoinedNamespace[]): T {
  if (joined.length === 0) return spec;
  const out = structuredClone(spec);
  for (const j of joined) {
    out.linux!.namespaces![j.index]!.path = `${GUEST_NAMESPACE_SCHEME}${j.containerId}/ns/${NAMESPACE_FILES[j.type]!}`;
  }
  return out;
}

/** The namespace type a `/proc/<pid>/ns/<x>` link names (`ipc` of `ipc:[4026531839]`), or undefined. */
async function namespaceKind(path: string): Promise<string | undefined> {
  const target = await readlink(path).catch(() => undefined);
  const m = target === undefined ? null : /^([a-z_]{1,16}):\[[0-9]+\]$/.exec(target);
  return m ? m[1] : undefined;
}
