// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { GuestImage } from '@cella/core';
import { resolve } from '@cella/core/di';
import { BaseCommand } from '../../base-command';
import { err, json, out } from '../../render/output';

export default class ImageBuild extends BaseCommand<typeof ImageBuild> {
  static override description = 'Build the guest image (kernel, initramfs, root image) into the cache; a no-op when nothing changed';
  static override flags = {
    force: Flags.boolean({ description: 'Rebuild even when the cache holds an image for the same inputs' }),
    json: Flags.boolean({ description: 'Print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageBuild);
    this.jsonOutput = flags.json;
    const rt = await this.runtime(this.globals(flags), 'info');
    const rec = await resolve(rt.container, GuestImage).build({ force: flags.force, progress: (line) => err(line) });
    if (flags.json) json(rec);
    else out(`image ${rec.key.slice(0, 12)} (kernel ${rec.kernelRelease}, ${(rec.sizeBytes / 1048576).toFixed(1)} MiB) in ${rec.dir}`);
  }
}
