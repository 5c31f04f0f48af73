// SPDX-License-Identifier: Apache-2.0
import { token } from '../di';
import type { OciMount } from '../oci/spec';
import type { GuestStorage } from './guest-agent';
import type { SandboxContext } from './sandbox-context';
import type { VmDevice } from './vm-spec';

export interface ContainerStorageRequest {
  containerId: string;
  /** Absolute host path of the bundle's rootfs. */
  rootfsPath: string;
  readonly: boolean;
  mounts: OciMount[];
}

export interface PreparedStorage {
  devices: VmDevice[];
  /** What the agent mounts in the guest, in order. */
  storages: GuestStorage[];
  /** Guest path of the container root (a storage mount point). */
  guestRootPath: string;
  /** Mounts of the spec, rewritten to guest sources, for the guest OCI spec. */
  guestMounts: OciMount[];
}

/**
 * The StorageDriver port: delivers a container's rootfs and volumes into the VM.
 * Everything it makes (images, bind mounts, daemons) is recorded in the sandbox journal before it is made.
 */
export interface StorageDriver {
  /** Precondition: the VM is not yet started, or `capabilities().hotplug` for a later container. */
  prepare(req: ContainerStorageRequest): Promise<PreparedStorage>;
  /** Undo what `prepare` made for the container (after the agent removed it). */
  release(containerId: string): Promise<void>;
  /** Undo everything left. Idempotent. */
  cleanup(): Promise<void>;
}

export type StorageDriverFactory = (sandbox: SandboxContext) => StorageDriver;
export const StorageDriverFactory = token<StorageDriverFactory>('StorageDriverFactory');
