// SPDX-License-Identifier: Apache-2.0
import { definePlugin, HostCheck, PluginSkipped, StorageDriverFactory } from '@cella/core';
import { VirtiofsHostChecks } from './host-checks';
import type { VirtiofsConfig } from './virtiofs-config';
import { VirtiofsStorageDriver } from './virtiofs-storage-driver';

/** The virtio-fs storage plugin: the same fields as package.json `"cella"`, plus `register`. */
const plugin = definePlugin<VirtiofsConfig>({
  id: 'storage.virtiofs',
  kind: 'storage',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    if (process.platform !== 'linux') throw new PluginSkipped(`virtio-fs needs Linux, not ${process.platform}`);
    ctx.bindValue(StorageDriverFactory, (sandbox) => new VirtiofsStorageDriver(sandbox, ctx.config, ctx.paths.cache));
    ctx.contribute(HostCheck, new VirtiofsHostChecks(ctx.config, ctx.paths.cache));
  },
});

export default plugin;
