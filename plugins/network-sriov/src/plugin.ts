// SPDX-License-Identifier: Apache-2.0
import { HostCheck, NetworkDriverFactory, PluginSkipped, UndoHandler, definePlugin } from '@cella/core';
import { SriovBindingUndo } from './sriov-binding-undo';
import { resolveSriovConfig, type SriovConfig } from './sriov-config';
import { SriovNetworkDriver } from './sriov-network-driver';
import { VfioHostCheck } from './vfio-host-check';

/** The SR-IOV network plugin: the same fields as package.json `"cella"`, plus `register`. */
const plugin = definePlugin<SriovConfig>({
  id: 'network.sriov',
  kind: 'network',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    if (process.platform !== 'linux') throw new PluginSkipped(`VFIO needs Linux, not ${process.platform}`);
    ctx.bindValue(NetworkDriverFactory, (sandbox) => new SriovNetworkDriver(sandbox, ctx.config));
    ctx.contribute(HostCheck, new VfioHostCheck(ctx.config));
    ctx.contribute(UndoHandler, new SriovBindingUndo({ verify: resolveSriovConfig(ctx.config).verify_binding, logger: ctx.logger }));
  },
});

export default plugin;
