// SPDX-License-Identifier: Apache-2.0
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';
import { json, out } from '../../render/output';
import { loadValidatedConfig } from '../../runtime';

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static override description = 'Validate a config file (and its config.d/ drop-ins) against the core and plugin schemas';
  static override args = { file: Args.string({ description: 'Config file (default: the one cella would use)' }) };
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigValidate);
    this.jsonOutput = flags.json;
    const v = await loadValidatedConfig(this.globals(flags), args.file);
    const files = [v.raw.file ?? '(built-in defaults)', ...v.raw.dropIns];
    if (flags.json) json({ valid: true, files });
    else out(`valid: ${files.join(', ')}`);
  }
}
