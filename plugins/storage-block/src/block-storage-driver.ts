// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStorageRequest, GuestStorage, OciMount, PreparedStorage, SandboxContext, StorageDriver, VmDevice } from '@cella/core';
import type { BlockConfig } from './block-config';
import { BlockErrors } from './block-errors';
import { blockVolume, type BlockVolume } from './block-volumes';
import { makeExt4Image } from './ext4-image';
import { rootfsDevice } from './rootfs-device';

/** Mount types the guest kernel provides itself: passed to the guest spec unchanged. */
const GUEST_LOCAL_TYPES = new Set(['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'shm']);

/** Guest folder under which container roots are mounted. */
export const GUEST_CONTAINERS_DIR = '/run/cella/containers';

type Disk = Extract<VmDevice, { kind: 'block' }>;

/**
 * Disks for a container: the bundle's rootfs folder becomes a temporary ext4 image (or the host block device the
 * `io.cella.storage.rootfs.device` annotation names is attached as it is), and every `mounts` entry that
 * names an image file or block device (see block-volumes.ts) is attached as it is. All go in as `virtio-blk` or
 * `virtio-scsi` (`block_device_driver`); the guest agent finds each by its serial. For a container added to a
 * running VM the caller hot-plugs `devices`, and unplugs them before `release`.
 * What the container writes to its rootfs is discarded with the image; writes to a volume stay in its source.
 */
export class BlockStorageDriver implements StorageDriver {
  /** Per container: its rootfs image (none when it serves only the volumes role). */
  private readonly made = new Map<string, { seq?: number; image?: string; device?: string }>();

  constructor(private readonly sandbox: SandboxContext, private readonly config: BlockConfig) {}

  async prepare(req: ContainerStorageRequest): Promise<PreparedStorage> {
    if (this.made.has(req.containerId)) {
      throw BlockErrors.STORAGE_INVALID_ARGUMENT.create('The container has its storage already', { details: { containerId: req.containerId } });
    }
    const volumes: BlockVolume[] = [];
    const guestMounts: OciMount[] = [];
    for (const [i, m] of req.mounts.entries()) {
      const vol = await blockVolume(m, i);
      const twice = vol && volumes.find((v) => v.source === vol.source);
      if (twice) {
        throw BlockErrors.STORAGE_INVALID_ARGUMENT.create('Two mounts name the same block volume source', {
          details: { fields: [`mounts[${twice.index}]`, `mounts[${i}]`], source: vol.source },
          hint: 'A disk can be attached once: mount it at one destination.',
        });
      }
      if (vol) volumes.push(vol);
      guestMounts.push(vol ? this.volumeMount(req.containerId, m, vol) : passThrough(m, i));
    }
    const device = req.rootfs && await rootfsDevice(req.annotations);
    const inUse = device && [...this.made.entries()].find(([, m]) => m.device === device.path);
    if (inUse || (device && volumes.some((v) => v.source === device.path))) {
      throw BlockErrors.STORAGE_INVALID_ARGUMENT.create('The rootfs block device is in use already', {
        details: { source: device!.path, containerId: inUse?.[0] ?? req.containerId },
        hint: 'A disk can be attached once: give each container its own device.',
      });
    }
    const devices: Disk[] = [];
    const storages: GuestStorage[] = [];
    let guestRootPath: string | undefined;
    if (req.rootfs && device) {
      // Handed over (a snapshotter's device): attached as it is, nothing made, so nothing journalled; writes stay in it.
      const rootSerial = diskSerial(this.sandbox.id, req.containerId);
      guestRootPath = `${GUEST_CONTAINERS_DIR}/${req.containerId}/rootfs`;
      this.made.set(req.containerId, { device: device.path });
      devices.push(this.disk(`rootfs-${rootSerial}`, device.path, req.rootfs.readonly, rootSerial));
      storages.push(this.storage(rootSerial, device.fstype, req.rootfs.readonly ? ['ro'] : [], guestRootPath));
    } else if (req.rootfs) {
      const image = join(this.sandbox.runDir, `rootfs-${req.containerId}.img`);
      const entry = await this.sandbox.journal.record('path', 'storage.block', `rootfs image of ${req.containerId}`, { path: image });
      this.made.set(req.containerId, { seq: entry.seq, image });
      try {
        await makeExt4Image(this.config.mkfs_path, req.rootfs.path, image, this.config.extra_space_mib);
      } catch (err) {
        await this.release(req.containerId);
        throw err;
      }
      const rootSerial = diskSerial(this.sandbox.id, req.containerId);
      guestRootPath = `${GUEST_CONTAINERS_DIR}/${req.containerId}/rootfs`;
      // The image is our own copy, so it is attached writable even for a read-only root: crun makes the mount
      // points the rootfs lacks (a stock pause image has no /proc, /dev, /sys) and then makes the root read-only
      // itself, as runc does (issue #17).
      devices.push(this.disk(`rootfs-${rootSerial}`, image, false, rootSerial));
      storages.push(this.storage(rootSerial, 'ext4', [], guestRootPath));
    } else {
      this.made.set(req.containerId, {});
    }
    for (const vol of volumes) {
      const serial = diskSerial(this.sandbox.id, req.containerId, vol.index);
      devices.push(this.disk(`vol-${serial}`, vol.source, vol.readOnly, serial));
      storages.push(this.storage(serial, vol.fstype, vol.options, volumeMountPoint(req.containerId, vol.index)));
    }
    this.sandbox.logger.debug('container disks ready', { serials: devices.map((d) => d.serial), driver: this.config.block_device_driver });
    return { devices, storages, guestRootPath, guestMounts };
  }

  async release(containerId: string): Promise<void> {
    const m = this.made.get(containerId);
    if (!m) return;
    if (m.image !== undefined) await fs.rm(m.image, { force: true });
    if (m.seq !== undefined) await this.sandbox.journal.complete(m.seq);
    this.made.delete(containerId);
  }

  async cleanup(): Promise<void> {
    for (const id of [...this.made.keys()]) await this.release(id);
  }

  private disk(id: string, path: string, readOnly: boolean, serial: string): Disk {
    return { kind: 'block', id, path, readOnly, format: 'raw', driver: this.config.block_device_driver, serial };
  }

  /** `blk` finds a virtio-blk disk by serial; `scsi` also loads the guest's SCSI modules and reads the VPD serial. */
  private storage(serial: string, fstype: string, options: string[], mountPoint: string): GuestStorage {
    const driver = this.config.block_device_driver === 'virtio-scsi' ? 'scsi' : 'blk';
    return { driver, source: serial, fstype, options, mountPoint };
  }

  /** The container sees the mounted volume through a bind mount at the spec's destination. */
  private volumeMount(containerId: string, m: OciMount, vol: BlockVolume): OciMount {
    return { destination: m.destination, type: 'bind', source: volumeMountPoint(containerId, vol.index), options: ['rbind', vol.readOnly ? 'ro' : 'rw'] };
  }
}

function volumeMountPoint(containerId: string, index: number): string {
  return `${GUEST_CONTAINERS_DIR}/${containerId}/volumes/${index}`;
}

function passThrough(m: OciMount, index: number): OciMount {
  const type = m.type ?? (m.options?.includes('bind') || m.options?.includes('rbind') ? 'bind' : undefined);
  if (type !== undefined && GUEST_LOCAL_TYPES.has(type)) return m;
  throw BlockErrors.STORAGE_UNSUPPORTED_MOUNT.create('The block storage driver cannot deliver this mount into the VM', {
    details: { field: `mounts[${index}]`, destination: m.destination, type: type ?? '(none)', source: m.source },
    hint: 'Host folders reach the guest through the virtio-fs storage driver; image files and block devices need a filesystem `type` such as ext4.',
  });
}

/** A disk serial (at most 20 bytes) unique to the sandbox, the container and (for a volume) the mount's index. */
export function diskSerial(sandboxId: string, containerId: string, volumeIndex?: number): string {
  const key = volumeIndex === undefined ? `${sandboxId}\0${containerId}` : `${sandboxId}\0${containerId}\0${volumeIndex}`;
  return `c${createHash('sha256').update(key).digest('hex').slice(0, 19)}`;
}
