// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { defaultSpec, E, OciErrors, specFileText } from '@cella/core';
import { BaseCommand } from '../base-command';

/** `runc spec`: the same config.json, byte for byte (tab-indented Go JSON, no trailing newline, mode 0666 & ~umask). */
export default class Spec extends BaseCommand<typeof Spec> {
  static override description = 'Write a default OCI config.json into a bundle folder (the file `runc spec` writes)';
  static override flags = {
    bundle: Flags.string({ char: 'b', description: 'Bundle folder to write config.json into (default: the current folder)' }),
    rootless: Flags.boolean({ description: 'A spec for a rootless container: a user namespace mapping you to root, no network namespace, no cgroup rules' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Spec);
    const dir = resolve(flags.bundle ?? '.');
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st) throw E.BUNDLE_NOT_FOUND.create('The bundle folder does not exist', { details: { bundle: dir } });
    if (!st.isDirectory()) throw E.BUNDLE_INVALID.create('The bundle path is not a folder', { details: { bundle: dir } });
    const file = join(dir, 'config.json');
    // As runc: refuse when the name resolves to anything (a dangling symlink does not, and is written through).
    if (await fs.stat(file).then(() => true, () => false)) {
      throw OciErrors.OCI_SPEC_EXISTS.create('File config.json exists. Remove it first', { details: { file } });
    }
    await fs.writeFile(file, specFileText(defaultSpec({ rootless: flags.rootless })), { mode: 0o666 });
  }
}
