// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { GuestImage } from '@cella/core';
import { resolve } from '@cella/core/di';
import { BaseCommand } from '../../base-command';
import { json, out, table } from '../../render/output';

export default class ImageLs extends BaseCommand<typeof ImageLs> {
  static override description = 'List the guest images in the cache';
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    this.jsonOutput = flags.json;
    const rt = await this.runtime(this.globals(flags), 'error');
    const images = await resolve(rt.container, GuestImage).list();
    if (flags.json) { json({ images }); return; }
    out(table([['KEY', 'KERNEL', 'SIZE', 'CREATED', 'CURRENT', 'DIR'],
      ...images.map((i) => [i.key.slice(0, 12), i.kernelRelease, `${(i.sizeBytes / 1048576).toFixed(1)}M`, i.createdAt, i.current ? '*' : '', i.dir])]));
  }
}
