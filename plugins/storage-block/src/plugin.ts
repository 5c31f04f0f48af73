// SPDX-License-Identifier: Apache-2.0
import { definePlugin, StorageDriverFactory } from '@cella/core';
import type { BlockConfig } from './block-config';
import { BlockStorageDriver } from './block-storage-driver';

export default definePlugin<BlockConfig>({
  id: 'storage.block',
  kind: 'storage',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    ctx.bindValue(StorageDriverFactory, (sandbox) => new BlockStorageDriver(sandbox, ctx.config));
  },
});
