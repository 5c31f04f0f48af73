// SPDX-License-Identifier: Apache-2.0
import { definePlugin, NetworkDriverFactory, PluginSkipped, UndoHandler } from '@cella/core';
import { NETLINK_UNDO_HANDLERS } from '@cella/netlink';
import type { TapConfig } from './tap-config';
import { TapNetworkDriver } from './tap-network-driver';

/** The tap network plugin (the default): the same fields as package.json `"cella"`, plus `register`. */
const plugin = definePlugin<TapConfig>({
  id: 'network.tap',
  kind: 'network',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    if (process.platform !== 'linux') throw new PluginSkipped(`taps need Linux, not ${process.platform}`);
    ctx.bindValue(NetworkDriverFactory, (sandbox) => new TapNetworkDriver(sandbox, ctx.config));
    for (const handler of NETLINK_UNDO_HANDLERS) ctx.contribute(UndoHandler, handler);
  },
});

export default plugin;
