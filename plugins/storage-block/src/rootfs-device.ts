// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute } from 'node:path';
import { BlockErrors } from './block-errors';
import { BLOCK_FS_TYPES } from './block-volumes';
import { mountedOnHost } from './host-mounts';

/** Annotation naming a host block device that holds the container's root filesystem (not mounted on the host). */
export const ROOTFS_DEVICE_ANNOTATION = 'io.cella.storage.rootfs.device';
/** Optional: its filesystem type (one of BLOCK_FS_TYPES); without it the guest probes. */
export const ROOTFS_FSTYPE_ANNOTATION = 'io.cella.storage.rootfs.fstype';

export interface RootfsDevice {
  path: string;
  /** `auto`: the guest probes. */
  fstype: string;
}

/**
 * The rootfs block device the spec's annotations name, checked before anything is made: an absolute path to a
 * block device that no host mount uses (a filesystem mounted by the host and the guest at once is corrupted), and
 * a known filesystem type if one is given. This is how a devicemapper or blockfile snapshotter (or a CSI driver)
 * hands a container its root without mounting it on the host. Returns undefined when no device is named.
 */
export async function rootfsDevice(annotations: Readonly<Record<string, string>> | undefined): Promise<RootfsDevice | undefined> {
  const path = annotations?.[ROOTFS_DEVICE_ANNOTATION];
  const fstype = annotations?.[ROOTFS_FSTYPE_ANNOTATION];
  if (path === undefined) {
    if (fstype !== undefined) throw invalid(ROOTFS_FSTYPE_ANNOTATION, fstype, `it needs ${ROOTFS_DEVICE_ANNOTATION} beside it`);
    return undefined;
  }
  if (fstype !== undefined && !BLOCK_FS_TYPES.has(fstype)) {
    throw invalid(ROOTFS_FSTYPE_ANNOTATION, fstype, `must be one of ${[...BLOCK_FS_TYPES].join(', ')}`);
  }
  const field = `annotations["${ROOTFS_DEVICE_ANNOTATION}"]`;
  const bad = (reason: string, cause?: unknown): Error => BlockErrors.STORAGE_MOUNT_SOURCE.create('The rootfs block device cannot be used', {
    cause, details: { field, source: path, reason },
    hint: 'Name a host block device (e.g. a devicemapper thin volume) that holds the container\'s root filesystem and is not mounted.',
  });
  if (!isAbsolute(path)) throw bad('the path is not absolute');
  let st;
  try {
    st = await fs.stat(path);
  } catch (err) {
    throw bad('it does not exist', err);
  }
  if (!st.isBlockDevice()) throw bad('it is not a block device');
  const majmin = await mountedOnHost(st.rdev);
  if (majmin !== undefined) {
    throw BlockErrors.STORAGE_INVALID_ARGUMENT.create('The rootfs block device is mounted on the host', {
      details: { field, source: path, device: majmin },
      hint: 'Unmount it on the host first: a filesystem mounted by the host and the guest at once is corrupted.',
    });
  }
  return { path, fstype: fstype ?? 'auto' };
}

function invalid(annotation: string, value: string, problem: string): Error {
  return BlockErrors.STORAGE_INVALID_ARGUMENT.create(`The annotation ${annotation} ${problem}`, {
    details: { field: `annotations["${annotation}"]`, value },
  });
}
