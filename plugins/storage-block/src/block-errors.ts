// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

export const BlockErrors = defineErrorCodes('storage.block', {
  STORAGE_IMAGE: 'Internal',
  STORAGE_UNSUPPORTED_MOUNT: 'NotSupported',
});
