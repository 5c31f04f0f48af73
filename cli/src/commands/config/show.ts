// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { formatConfig } from '@cella/config-schema';
import { BaseCommand } from '../../base-command';
import { out } from '../../render/output';
import { loadValidatedConfig } from '../../runtime';

export default class ConfigShow extends BaseCommand<typeof ConfigShow> {
  static override description = 'Print the effective config (defaults applied)';
  static override flags = { json: Flags.boolean({ description: 'Print JSON instead of TOML' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConfigShow);
    this.jsonOutput = flags.json;
    const v = await loadValidatedConfig(this.globals(flags));
    out(formatConfig(v.config, flags.json ? 'json' : 'toml'));
  }
}
