// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { OciMount } from '@cella/core';
import { VirtiofsErrors } from './virtiofs-errors';

/** Mount types the guest kernel provides itself: passed to the guest spec unchanged. */
const GUEST_LOCAL_TYPES = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'shm']);

/** One host path to bind into the shared folder. */
export interface PlannedBind {
  /** `mounts[<n>]` of the spec, or `root.path`. */
  field: string;
  /** Index in the spec's mounts (the folder name under `mounts/`); -1 for the rootfs. */
  index: number;
  /** The path the spec names. */
  named: string;
  /** Its realpath: what is bind-mounted. */
  source: string;
  isDir: boolean;
  /** Device and inode of `source` when checked: the mounted target must show the same. */
  dev: number;
  ino: number;
  readOnly: boolean;
  recursive: boolean;
}

/** A spec mount that reaches the guest through the shared folder. */
export function isBindMount(m: OciMount): boolean {
  return m.type === 'bind' || m.options?.includes('bind') === true || m.options?.includes('rbind') === true;
}

/**
 * Resolve and check a host path the spec names: it must be absolute and exist. A symlink is followed with
 * realpath once, here, on the host: what gets mounted is the resolved path, and the mount is checked
 * against its device and inode afterwards (a symlink swapped in between is caught).
 */
export async function planBind(field: string, index: number, named: string | undefined, readOnly: boolean, recursive: boolean): Promise<PlannedBind> {
  const missing = (why: string, cause?: unknown): Error => VirtiofsErrors.STORAGE_MOUNT_SOURCE.create('A mount source does not exist on the host', {
    cause, details: { field, source: named ?? '(none)', reason: why },
    hint: 'Create the folder or file, or fix the source of this mount in the bundle\'s config.json.',
  });
  if (named === undefined || !isAbsolute(named)) throw missing('the source is not an absolute path');
  let source: string;
  try {
    source = await fs.realpath(named);
  } catch (err) {
    throw missing('the source (or a symlink target in it) does not exist', err);
  }
  const st = await fs.stat(source);
  return { field, index, named, source, isDir: st.isDirectory(), dev: st.dev, ino: st.ino, readOnly, recursive };
}

/** Plan the spec's mounts: binds to share, guest-local ones passed through; anything else is refused. */
export async function planMounts(mounts: readonly OciMount[]): Promise<PlannedBind[]> {
  const out: PlannedBind[] = [];
  for (const [i, m] of mounts.entries()) {
    if (isBindMount(m)) {
      const opts = m.options ?? [];
      out.push(await planBind(`mounts[${i}]`, i, m.source, opts.includes('ro'), opts.includes('rbind')));
    } else if (m.type === undefined || !GUEST_LOCAL_TYPES.has(m.type)) {
      throw VirtiofsErrors.STORAGE_UNSUPPORTED_MOUNT.create('The virtio-fs storage driver cannot deliver this mount into the VM', {
        details: { field: `mounts[${i}]`, destination: m.destination, type: m.type ?? '(none)', source: m.source },
        hint: 'Block devices and images reach the guest through the block storage driver.',
      });
    }
  }
  return out;
}

/** The container id names a folder: no separators, no dot-dot, no surprises in mount(8) arguments. */
export function checkContainerId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw VirtiofsErrors.STORAGE_INVALID_ARGUMENT.create('The container id cannot name a shared folder', { details: { containerId: id.slice(0, 200) } });
  }
}
