// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/** Error codes of the virtio-fs storage plugin. */
export const VirtiofsErrors = defineErrorCodes('storage.virtiofs', {
  /** virtiofsd is missing, not executable, of an unknown kind, or did not come up. */
  STORAGE_VIRTIOFSD: 'Unavailable',
  /** A configured option cannot be expressed for the virtiofsd in use. */
  STORAGE_VIRTIOFSD_OPTION: 'InvalidArgument',
  /** A bind mount source of the spec does not exist (or is not absolute). */
  STORAGE_MOUNT_SOURCE: 'NotFound',
  /** A host mount or unmount failed. */
  STORAGE_MOUNT: 'Internal',
  /** The mount type cannot be delivered into the VM. */
  STORAGE_UNSUPPORTED_MOUNT: 'NotSupported',
  /** A container id that cannot name a folder, or a container prepared twice. */
  STORAGE_INVALID_ARGUMENT: 'InvalidArgument',
});

/** E_STORAGE_VIRTIOFSD_OPTION naming the config key, its value and what this virtiofsd accepts. */
export function optionError(option: string, value: string, allowed: string): Error {
  return VirtiofsErrors.STORAGE_VIRTIOFSD_OPTION.create('The configured virtiofsd option is not supported by this virtiofsd', {
    details: { option, value, allowed },
    hint: `Set ${option} under [plugins."storage.virtiofs"] to ${allowed}, or point virtiofsd_path at the Rust virtiofsd.`,
  });
}
