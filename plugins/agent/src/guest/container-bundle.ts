// SPDX-License-Identifier: Apache-2.0
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciNamespace, OciProcess, OciSpec } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import { isCleanAbsolute } from './storage-mounter';

function invalid(message: string, field: string, value?: unknown): Error {
  const details: Record<string, unknown> = { field };
  if (value !== undefined) details.value = String(value).slice(0, 256);
  return AgentErrors.AGENT_SPEC_INVALID.create(message, { details });
}

/** Checks an OCI process the host sent (container process or exec). */
export function checkProcess(p: OciProcess | undefined, field = 'process'): OciProcess {
  if (typeof p !== 'object' || p === null) throw invalid('The OCI spec has no process', field);
  if (!Array.isArray(p.args) || p.args.length === 0 || !p.args.every((a) => typeof a === 'string')) {
    throw invalid('The process args must be a non-empty list of strings', `${field}.args`);
  }
  if (typeof p.cwd !== 'string' || !p.cwd.startsWith('/')) throw invalid('The process cwd must be an absolute path', `${field}.cwd`, p.cwd);
  if (p.env !== undefined && (!Array.isArray(p.env) || !p.env.every((e) => typeof e === 'string'))) {
    throw invalid('The process env must be a list of strings', `${field}.env`);
  }
  if (typeof p.user !== 'object' || p.user === null || !Number.isInteger(p.user.uid) || !Number.isInteger(p.user.gid)) {
    throw invalid('The process user must have an integer uid and gid', `${field}.user`);
  }
  if (p.terminal !== undefined && typeof p.terminal !== 'boolean') throw invalid('The process terminal must be a boolean', `${field}.terminal`);
  return p;
}

/**
 * How the host names a namespace of another container of the sandbox to join: `cella-container:<id>/ns/<file>`
 * (core's GUEST_NAMESPACE_SCHEME; the guest bundle does not take core's OCI module).
 */
const JOIN_PATH = /^cella-container:([A-Za-z0-9][A-Za-z0-9_.-]{0,255})\/ns\/(pid|net|mnt|ipc|uts|user|cgroup|time)$/;

/**
 * The spec the guest hands to crun: checked (process, `root.path` absolute and under a mounted storage),
 * `cgroupsPath` set to `/cella/<id>`, and namespace paths read as the host wrote them (docs/adr/0015): a network
 * path is dropped (its interfaces are the VM's, configured before the container), a `cella-container:<id>/ns/<x>`
 * path becomes `/proc/<pid>/ns/<x>` of that container's init (`initPid`: undefined when it does not run), and any
 * other path is refused. Everything else is kept as given.
 */
export function guestSpec(spec: OciSpec, id: string, mountPoints: readonly string[], initPid: (containerId: string) => number | undefined = () => undefined): OciSpec {
  if (typeof spec.ociVersion !== 'string') throw invalid('The OCI spec has no ociVersion', 'ociVersion');
  checkProcess(spec.process);
  const root = spec.root;
  if (typeof root !== 'object' || root === null || typeof root.path !== 'string' || !isCleanAbsolute(root.path)) {
    throw invalid('The root path must be an absolute guest path', 'root.path', root?.path);
  }
  const under = mountPoints.some((mp) => root.path === mp || root.path.startsWith(`${mp}/`));
  if (!under) {
    throw AgentErrors.AGENT_SPEC_INVALID.create('The root path is not under a mounted storage', {
      details: { field: 'root.path', value: root.path, mountPoints },
    });
  }
  const out = structuredClone(spec);
  if (out.linux) {
    if (Array.isArray(out.linux.namespaces)) out.linux.namespaces = guestNamespaces(out.linux.namespaces, initPid);
    out.linux.cgroupsPath = containerCgroupsPath(id);
  }
  return out;
}

function guestNamespaces(namespaces: OciNamespace[], initPid: (containerId: string) => number | undefined): OciNamespace[] {
  const out: OciNamespace[] = [];
  for (const [i, ns] of namespaces.entries()) {
    if (!ns.path) { out.push(ns); continue; }
    if (ns.type === 'network') continue;
    const field = `linux.namespaces[${i}].path`;
    const m = JOIN_PATH.exec(ns.path);
    if (!m) throw invalid('A namespace path must name a namespace of another container of the sandbox', field, ns.path);
    const pid = initPid(m[1]!);
    if (pid === undefined) {
      throw AgentErrors.AGENT_STATE.create('The container whose namespace is to be joined does not run in the guest', { details: { field, containerId: m[1] } });
    }
    out.push({ ...ns, path: `/proc/${pid}/ns/${m[2]!}` });
  }
  return out;
}

/** The cgroup crun puts a container in, relative to the guest's cgroup2 mount (StatsContainer reads it). */
export function containerCgroupsPath(id: string): string {
  return `/cella/${id}`;
}

/** Writes `<dir>/config.json` (the folder is made private to root). */
export async function writeBundle(dir: string, spec: OciSpec): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(spec), { mode: 0o600 });
  return file;
}

/** True when `/proc/mounts` shows an initramfs root (rootfs or tmpfs), where pivot_root fails. */
export function rootNeedsNoPivot(procMounts: string): boolean {
  let fstype: string | undefined;
  for (const line of procMounts.split('\n')) {
    const fields = line.split(' ');
    if (fields[1] === '/') fstype = fields[2];
  }
  return fstype === 'rootfs' || fstype === 'tmpfs';
}
