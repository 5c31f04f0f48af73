// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { OciMount } from '@cella/core';
import { BlockErrors } from './block-errors';
import { mountedOnHost } from './host-mounts';

/** Filesystem names a `mounts` entry may give as `type` to make its source (image file or block device) a disk. */
export const BLOCK_FS_TYPES: ReadonlySet<string> = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'exfat', 'f2fs']);

/** Options that say how the mount is bound, not how the filesystem is mounted: dropped from the guest mount. */
const BIND_ONLY = new Set(['bind', 'rbind', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);

/** A `mounts` entry delivered as a disk. */
export interface BlockVolume {
  /** Index in the spec's `mounts`. */
  index: number;
  /** Host image file or block device. */
  source: string;
  /** Filesystem type the guest mounts it with (`auto`: the guest probes). */
  fstype: string;
  readOnly: boolean;
  /** Options for the guest's filesystem mount (`ro` included when asked for). */
  options: string[];
  /** The source is a host block device (not an image file). */
  hostDevice: boolean;
}

/**
 * Decides whether `m` is a block volume: a `type` from BLOCK_FS_TYPES with a source that is a regular file or a
 * block device (fstype = type), or any type whose source is a host block device (fstype detected in the guest).
 * Returns undefined for other mounts. Throws E_STORAGE_MOUNT_SOURCE naming the mount when a filesystem-typed
 * entry's source is missing or is neither a file nor a block device, and E_STORAGE_INVALID_ARGUMENT naming
 * `mounts[i].source` when the block device is mounted on the host (issue #9).
 */
export async function blockVolume(m: OciMount, index: number): Promise<BlockVolume | undefined> {
  const fsTyped = m.type !== undefined && BLOCK_FS_TYPES.has(m.type);
  const field = `mounts[${index}].source`;
  const bad = (reason: string, cause?: unknown): Error => BlockErrors.STORAGE_MOUNT_SOURCE.create('A block volume source cannot be used', {
    cause, details: { field, destination: m.destination, source: m.source ?? '(none)', type: m.type ?? '(none)', reason },
    hint: 'Name an existing image file or block device as the source of this mount in the bundle\'s config.json.',
  });
  if (m.source === undefined || !isAbsolute(m.source)) {
    if (fsTyped) throw bad('the source is not an absolute path');
    return undefined;
  }
  let st;
  try {
    st = await fs.stat(m.source);
  } catch (err) {
    if (fsTyped) throw bad('the source does not exist', err);
    return undefined;
  }
  const hostDevice = st.isBlockDevice();
  if (!hostDevice && !(fsTyped && st.isFile())) {
    if (fsTyped) throw bad('the source is neither a regular file nor a block device');
    return undefined;
  }
  const device = hostDevice ? await mountedOnHost(st.rdev) : undefined;
  if (device !== undefined) {
    throw BlockErrors.STORAGE_INVALID_ARGUMENT.create(`The block device that ${field} names is mounted on the host`, {
      details: { field, destination: m.destination, source: m.source, device },
      hint: 'Unmount it on the host first: a filesystem mounted by the host and the guest at once is corrupted.',
    });
  }
  const given = m.options ?? [];
  const readOnly = given.lastIndexOf('ro') > given.lastIndexOf('rw');
  const options = given.filter((o) => !BIND_ONLY.has(o) && o !== 'rw' && o !== 'ro');
  if (readOnly) options.unshift('ro');
  return { index, source: m.source, fstype: fsTyped ? m.type! : 'auto', readOnly, options, hostDevice };
}
