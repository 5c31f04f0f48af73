// SPDX-License-Identifier: Apache-2.0
import { definePlugin, HostCheck, HypervisorFactory, PluginSkipped } from '@cella/core';
import { QemuHostChecks } from './host-checks';
import type { QemuConfig } from './qemu-config';
import { QemuHypervisor } from './qemu-hypervisor';

/** The QEMU hypervisor plugin: the same fields as package.json `"cella"`, plus `register`. */
const plugin = definePlugin<QemuConfig>({
  id: 'hypervisor.qemu',
  kind: 'hypervisor',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new PluginSkipped(`QEMU support is built for linux-x64, not ${process.platform}-${process.arch}`);
    }
    ctx.bindValue(HypervisorFactory, (sandbox) => new QemuHypervisor(sandbox, ctx.config, ctx.paths));
    ctx.contribute(HostCheck, new QemuHostChecks(ctx.config, ctx.paths));
  },
});

export default plugin;
