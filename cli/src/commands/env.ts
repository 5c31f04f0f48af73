// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { PLUGIN_API_VERSION, HypervisorFactory } from '@cella/core';
import { resolve } from '@cella/core/di';
import { BaseCommand } from '../base-command';
import { json, out } from '../render/output';

export default class Env extends BaseCommand<typeof Env> {
  static override description = 'Show the effective config, versions and the chosen plugins';
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Env);
    this.jsonOutput = flags.json;
    const rt = await this.runtime(this.globals(flags), 'error');
    const plugins = Object.fromEntries([...rt.selected].map(([role, r]) => [role, { id: r.manifest.id, package: r.packageName, version: r.packageVersion, status: r.status }]));
    const env = {
      cella: { version: this.config.version, pluginApi: PLUGIN_API_VERSION, node: process.version },
      config: { file: rt.raw.file ?? '(built-in defaults)', dropIns: rt.raw.dropIns },
      root: rt.store.root,
      plugins,
      hypervisor: rt.container.isRegistered(HypervisorFactory, true) ? await describeHypervisor(rt) : undefined,
      effective: rt.config,
    };
    if (flags.json) { json(env); return; }
    out(`cella ${env.cella.version} (plugin API ${env.cella.pluginApi}, node ${env.cella.node})`);
    out(`config: ${env.config.file}${env.config.dropIns.length ? ` + ${env.config.dropIns.join(', ')}` : ''}`);
    out(`state root: ${env.root}`);
    for (const [role, p] of Object.entries(plugins)) out(`${role}: ${p.package}@${p.version} (${p.id}, ${p.status})`);
    if (env.hypervisor) out(`hypervisor: ${JSON.stringify(env.hypervisor)}`);
  }
}

async function describeHypervisor(rt: Awaited<ReturnType<Env['runtime']>>): Promise<Record<string, unknown>> {
  const hv = resolve(rt.container, HypervisorFactory)({
    id: 'env', stateDir: '', runDir: '', journal: undefined as never, logger: rt.logger, vcpus: 1, memoryMiB: 128,
  });
  return hv.describe();
}
