// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

export const BlockErrors = defineErrorCodes('storage.block', {
  /** mkfs could not make the rootfs image. */
  STORAGE_IMAGE: 'Internal',
  /** The mount cannot be delivered into the VM as a disk. */
  STORAGE_UNSUPPORTED_MOUNT: 'NotSupported',
  /** A block volume's source is missing or is neither an image file nor a block device. */
  STORAGE_MOUNT_SOURCE: 'NotFound',
  /** A container prepared twice. */
  STORAGE_INVALID_ARGUMENT: 'InvalidArgument',
});
