// SPDX-License-Identifier: Apache-2.0
import { definePlugin, NetworkDriverFactory, PluginSkipped, UndoHandler } from '@cella/core';
import { NETLINK_UNDO_HANDLERS, type QueueConfig } from '@cella/netlink';
import { MacvtapNetworkDriver } from './macvtap-network-driver';

/** The macvtap network plugin: the same fields as package.json `"cella"`, plus `register`. */
const plugin = definePlugin<QueueConfig>({
  id: 'network.macvtap',
  kind: 'network',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    if (process.platform !== 'linux') throw new PluginSkipped(`macvtap needs Linux, not ${process.platform}`);
    ctx.bindValue(NetworkDriverFactory, (sandbox) => new MacvtapNetworkDriver(sandbox, ctx.config));
    for (const handler of NETLINK_UNDO_HANDLERS) ctx.contribute(UndoHandler, handler);
  },
});

export default plugin;
