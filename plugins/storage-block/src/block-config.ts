// SPDX-License-Identifier: Apache-2.0
import type { BlockDriver } from '@cella/core';

/** Options of `[plugins."storage.block"]` (schema/config.schema.json). */
export interface BlockConfig {
  block_device_driver: BlockDriver;
  mkfs_path: string;
  extra_space_mib: number;
}
