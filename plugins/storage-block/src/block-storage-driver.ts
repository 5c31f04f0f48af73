// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStorageRequest, OciMount, PreparedStorage, SandboxContext, StorageDriver, VmDevice } from '@cella/core';
import type { BlockConfig } from './block-config';
import { BlockErrors } from './block-errors';
import { makeExt4Image } from './ext4-image';

/** Mount types the guest kernel provides itself: passed to the guest spec unchanged. */
const GUEST_LOCAL_TYPES = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'shm']);

/** Guest folder under which container roots are mounted. */
export const GUEST_CONTAINERS_DIR = '/run/cella/containers';

/**
 * The rootfs as a block device: the bundle's rootfs folder becomes a temporary ext4 image attached as a disk.
 * What the container writes to its rootfs is discarded with the image when the sandbox is deleted.
 */
export class BlockStorageDriver implements StorageDriver {
  private readonly made = new Map<string, { seq: number; image: string }>();

  constructor(private readonly sandbox: SandboxContext, private readonly config: BlockConfig) {}

  async prepare(req: ContainerStorageRequest): Promise<PreparedStorage> {
    const guestMounts = req.mounts.map((m, i) => this.guestMount(m, i));
    const image = join(this.sandbox.runDir, `rootfs-${req.containerId}.img`);
    const entry = await this.sandbox.journal.record('path', 'storage.block', `rootfs image of ${req.containerId}`, { path: image });
    this.made.set(req.containerId, { seq: entry.seq, image });
    await makeExt4Image(this.config.mkfs_path, req.rootfsPath, image, this.config.extra_space_mib);
    const serial = diskSerial(this.sandbox.id, req.containerId);
    const device: VmDevice = {
      kind: 'block', id: `rootfs-${serial}`, path: image, readOnly: req.readonly, format: 'raw',
      driver: this.config.block_device_driver, serial,
    };
    const mountPoint = `${GUEST_CONTAINERS_DIR}/${req.containerId}/rootfs`;
    this.sandbox.logger.debug('rootfs image made', { image, serial });
    return {
      devices: [device],
      storages: [{ driver: 'blk', source: serial, fstype: 'ext4', options: req.readonly ? ['ro'] : [], mountPoint }],
      guestRootPath: mountPoint,
      guestMounts,
    };
  }

  async release(containerId: string): Promise<void> {
    const m = this.made.get(containerId);
    if (!m) return;
    await fs.rm(m.image, { force: true });
    await this.sandbox.journal.complete(m.seq);
    this.made.delete(containerId);
  }

  async cleanup(): Promise<void> {
    for (const id of [...this.made.keys()]) await this.release(id);
  }

  private guestMount(m: OciMount, index: number): OciMount {
    const type = m.type ?? (m.options?.includes('bind') || m.options?.includes('rbind') ? 'bind' : undefined);
    if (type !== undefined && GUEST_LOCAL_TYPES.has(type)) return m;
    throw BlockErrors.STORAGE_UNSUPPORTED_MOUNT.create('The block storage driver cannot deliver this mount into the VM', {
      details: { field: `mounts[${index}]`, destination: m.destination, type: type ?? '(none)', source: m.source },
      hint: 'Host folders reach the guest through the virtio-fs storage driver.',
    });
  }
}

/** A disk serial (at most 20 bytes) unique to the sandbox and container. */
export function diskSerial(sandboxId: string, containerId: string): string {
  return `c${createHash('sha256').update(`${sandboxId}\0${containerId}`).digest('hex').slice(0, 19)}`;
}
