// SPDX-License-Identifier: Apache-2.0
import { Flags } from '@oclif/core';
import { GuestImage, HypervisorFactory, type VmTemplateInfo } from '@cella/core';
import { resolve } from '@cella/core/di';
import { BaseCommand } from '../../base-command';
import { err, json, out } from '../../render/output';
import { makeSandboxService } from '../../sandbox';
import { probeContext } from '../../probe-context';

export default class ImageBuild extends BaseCommand<typeof ImageBuild> {
  static override description = 'Build the guest image (kernel, initramfs, root image) into the cache, and the VM template when they are on; a no-op when nothing changed';
  static override flags = {
    force: Flags.boolean({ description: 'Rebuild even when the cache holds an image for the same inputs' }),
    json: Flags.boolean({ description: 'Print the result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageBuild);
    this.jsonOutput = flags.json;
    const rt = await this.runtime(this.globals(flags), 'info');
    const image = resolve(rt.container, GuestImage);
    const rec = await image.build({ force: flags.force, progress: (line) => err(line) });
    // With VM templates on, a booted VM of this image is saved too (unless one is there for it already).
    let template: VmTemplateInfo | undefined;
    const probe = await probeContext(rt);
    try {
      const hv = resolve(rt.container, HypervisorFactory)(probe.ctx);
      if ((await hv.capabilities()).templates) {
        const spec = await probe.vmSpec(image);
        template = flags.force ? undefined : await hv.findTemplate?.(spec);
        if (template) {
          err(`VM template ${template.key.slice(0, 12)}: cache hit`);
        } else {
          err('VM template: booting a VM to save it');
          const t = Date.now();
          template = await makeSandboxService(rt).buildVmTemplate();
          err(`VM template ${template.key.slice(0, 12)} saved (${(template.bytes / 1048576).toFixed(0)} MiB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
      }
    } finally {
      await probe.dispose();
    }
    if (flags.json) json({ ...rec, template });
    else {
      out(`image ${rec.key.slice(0, 12)} (kernel ${rec.kernelRelease}, ${(rec.sizeBytes / 1048576).toFixed(1)} MiB) in ${rec.dir}`);
      if (template) out(`VM template ${template.key.slice(0, 12)} (${(template.bytes / 1048576).toFixed(0)} MiB) in ${template.dir}`);
    }
  }
}
