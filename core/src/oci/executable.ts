// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import type { OciSpec } from './spec';
import { OciErrors } from './oci-errors';

/** Mounts the guest makes itself: no executable lives there. */
const GUEST_LOCAL = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'shm']);
/** Symlinks followed in one lookup before giving up (Linux's own limit). */
const MAX_LINKS = 40;

type Found = { kind: 'missing' } | { kind: 'dir' } | { kind: 'file'; mode: number } | { kind: 'unknown' };

/**
 * Where `path` (absolute inside the container) leads in the rootfs folder `root`, following symlinks as the
 * container would see them (an absolute target starts again at the rootfs, never at the host's /). Anything this
 * cannot tell (a permission problem, a loop) is `unknown`, which never refuses a container.
 */
async function lookupInRoot(root: string, path: string): Promise<Found> {
  let links = 0;
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') { done.pop(); continue; }
    const host = posix.join(root, ...done, c);
    let st;
    try {
      st = await fs.lstat(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'unknown' };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { kind: 'unknown' };
      const target = await fs.readlink(host).catch(() => undefined);
      if (target === undefined) return { kind: 'unknown' };
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
      continue;
    }
    if (pending.length > 0 && !st.isDirectory()) return { kind: 'missing' };
    done.push(c);
    if (pending.length === 0) return st.isDirectory() ? { kind: 'dir' } : { kind: 'file', mode: st.mode };
  }
  return { kind: 'dir' };
}

/**
 * runc looks up the process's executable at `create` and refuses a container whose command cannot run, with
 * texts engines show to users. A VM runtime runs it in the guest only at `start`; this makes the same check on the
 * host's rootfs folder before anything is made, with runc's texts. Paths under the spec's volume mounts are not
 * checked (their content arrives with the mount), nor is an empty rootfs folder (its filesystem reaches the VM
 * another way, e.g. a block device handed over by annotation).
 * Throws OCI_EXECUTABLE with runc's message; returns quietly when the command can run or it cannot tell.
 */
export async function checkExecutable(spec: OciSpec, rootfs: string): Promise<void> {
  const arg0 = spec.process?.args?.[0];
  // An empty rootfs folder is a mount point whose filesystem reaches the VM another way (a block device handed over).
  if (!arg0 || (await fs.readdir(rootfs).catch(() => [])).length === 0) return;
  const volumes = (spec.mounts ?? []).filter((m) => !GUEST_LOCAL.has(m.type ?? '')).map((m) => posix.normalize(m.destination));
  const onVolume = (p: string): boolean => volumes.some((d) => p === d || p.startsWith(d.endsWith('/') ? d : `${d}/`));
  const refuse = (text: string): never => {
    throw OciErrors.OCI_EXECUTABLE.create(`unable to start container process: exec: ${JSON.stringify(arg0)}: ${text}`, {
      details: { field: 'process.args[0]', value: arg0, rootfs },
    });
  };
  const cwd = spec.process?.cwd ?? '/';
  if (arg0.includes('/')) {
    const path = posix.normalize(isAbsolute(arg0) ? arg0 : posix.join(cwd, arg0));
    if (onVolume(path)) return;
    const found = await lookupInRoot(rootfs, path);
    if (found.kind === 'missing') refuse(`stat ${arg0}: no such file or directory`);
    if (found.kind === 'dir' || (found.kind === 'file' && (found.mode & 0o111) === 0)) refuse('permission denied');
    return;
  }
  const pathVar = (spec.process?.env ?? []).find((e) => e.startsWith('PATH='))?.slice(5);
  if (pathVar === undefined) return;
  for (const dir of pathVar.split(':')) {
    // A relative PATH entry depends on the working directory at exec time: do not judge.
    if (!dir.startsWith('/')) return;
    const path = posix.join(dir, arg0);
    if (onVolume(path)) return;
    const found = await lookupInRoot(rootfs, path);
    if (found.kind === 'unknown') return;
    if (found.kind === 'file' && (found.mode & 0o111) !== 0) return;
  }
  refuse('executable file not found in $PATH');
}
