// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import type { GuestBoot } from '../ports/guest-agent';
import type { SandboxContext } from '../ports/sandbox-context';
import type { VmDevice, VmSpec } from '../ports/vm-spec';

/**
 * The VM a sandbox boots: its size from the context, kernel, images, parameters and agent channel from the guest
 * image, and its devices. One function for every caller (a sandbox, a VM template, `check`, the bench floor), so
 * a template's key and the spec a sandbox later starts with cannot drift apart.
 */
export function vmSpecOf(ctx: SandboxContext, boot: GuestBoot, devices: VmDevice[], more: Partial<Pick<VmSpec, 'kernelParams' | 'forTemplate'>> = {}): VmSpec {
  return {
    sandboxId: ctx.id, vcpus: ctx.vcpus, memoryMiB: ctx.memoryMiB, kernel: boot.kernel, initrd: boot.initrd, image: boot.image,
    kernelParams: more.kernelParams ?? boot.kernelParams, devices, agentChannel: boot.agentChannel,
    runDir: ctx.runDir, consoleLog: join(ctx.runDir, 'console.log'), ...(more.forTemplate ? { forTemplate: true } : {}),
  };
}
