// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { makePluginContext, nullLogger, type PluginRecord } from '@cella/core';
import { rootContainer } from '@cella/core/di';
import { BaseCommand } from '../../base-command';
import { json, out, table } from '../../render/output';
import { loadValidatedConfig } from '../../runtime';

export default class PluginsList extends BaseCommand<typeof PluginsList> {
  static override description = 'List plugins: loaded, skipped or failed, with the reason';
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(PluginsList);
    this.jsonOutput = flags.json;
    const v = await loadValidatedConfig(this.globals(flags));
    const roleOf = new Map([...v.selected].map(([role, r]) => [r.packageDir, role]));
    const records: PluginRecord[] = v.loader.discoverInstalled();
    for (const r of v.selected.values()) if (!records.some((x) => x.packageDir === r.packageDir)) records.push(r);
    const c = rootContainer().createChildContainer();
    for (const r of records) {
      if (r.status !== 'discovered') continue;
      const ctx = makePluginContext(c, r.manifest.id, v.config.plugins[r.manifest.id] ?? {}, nullLogger, {
        root: v.config.runtime.root, cache: v.config.runtime.cache_dir, packageDir: r.packageDir,
      });
      await v.loader.load(r, ctx);
    }
    const rows = records.map((r) => ({
      id: r.manifest.id, kind: r.manifest.kind, package: r.packageName, version: r.packageVersion,
      role: roleOf.get(r.packageDir) ?? null, status: r.status, reason: r.reason ?? null,
    }));
    if (flags.json) { json({ plugins: rows }); return; }
    out(table([['ID', 'KIND', 'PACKAGE', 'VERSION', 'ROLE', 'STATUS', 'REASON'],
      ...rows.map((r) => [r.id, r.kind, r.package, r.version, r.role ?? '-', r.status, r.reason ?? ''])]));
  }
}
