// SPDX-License-Identifier: Apache-2.0
import { token } from '../di';
import type { OciMount } from '../oci/spec';
import type { GuestStorage } from './guest-agent';
import type { SandboxContext } from './sandbox-context';
import type { VmDevice } from './vm-spec';

/** The two things a container needs delivered; config may give each to a different driver (`[storage]`). */
export type StorageRole = 'rootfs' | 'volumes';

export interface ContainerStorageRequest {
  containerId: string;
  /** The container's root (absolute host path of the bundle's rootfs): given when this driver serves the rootfs role. */
  rootfs?: { path: string; readonly: boolean };
  /** The spec's annotations (a plugin may read its own, e.g. a rootfs block device handed over by a snapshotter). */
  annotations?: Readonly<Record<string, string>>;
  /**
   * The spec's `mounts` when this driver serves the volumes role, else `[]`. Indexes are the spec's (errors name
   * `mounts[i]`); mounts the guest makes itself (proc, sysfs, tmpfs, …) are passed through unchanged.
   */
  mounts: OciMount[];
}

export interface PreparedStorage {
  devices: VmDevice[];
  /** What the agent mounts in the guest, in order. */
  storages: GuestStorage[];
  /** Guest path of the container root (a storage mount point), when the request asked for the rootfs. */
  guestRootPath?: string;
  /** Mounts of the spec, rewritten to guest sources, for the guest OCI spec. */
  guestMounts: OciMount[];
}

/**
 * The StorageDriver port: delivers a container's rootfs and volumes into the VM.
 * Everything it makes (images, bind mounts, daemons) is recorded in the sandbox journal before it is made.
 */
export interface StorageDriver {
  /**
   * Make what the container's storage needs on the host and say which devices the VM needs and what the agent
   * mounts. Called before the VM starts for the sandbox's first container; for a container added to a running
   * sandbox the caller hot-plugs the returned devices (Hypervisor.hotplug) and unplugs them before `release`.
   */
  prepare(req: ContainerStorageRequest): Promise<PreparedStorage>;
  /** Undo what `prepare` made for the container (after the agent removed it). */
  release(containerId: string): Promise<void>;
  /** Undo everything left. Idempotent. */
  cleanup(): Promise<void>;
}

export type StorageDriverFactory = (sandbox: SandboxContext) => StorageDriver;
export const StorageDriverFactory = token<StorageDriverFactory>('StorageDriverFactory');
