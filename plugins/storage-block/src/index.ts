// SPDX-License-Identifier: Apache-2.0
import plugin from './plugin';

export { BlockStorageDriver, diskSerial, GUEST_CONTAINERS_DIR } from './block-storage-driver';
export { BLOCK_FS_TYPES, blockVolume, type BlockVolume } from './block-volumes';
export { makeExt4Image, treeSize } from './ext4-image';
export type { BlockConfig } from './block-config';
export { BlockErrors } from './block-errors';
export default plugin;
