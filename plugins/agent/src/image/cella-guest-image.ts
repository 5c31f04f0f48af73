// SPDX-License-Identifier: Apache-2.0
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { AgentChannel, GuestBoot, GuestImage, GuestImageRecord, SandboxContext } from '@cella/core';
import { IMAGE_BUILD_HINT, ImageErrors } from './image-errors';
import type { GuestImageBuilder } from './guest-image-builder';

export type AgentTransport = 'virtio-serial' | 'vsock' | 'hybrid-vsock';

export interface CellaGuestImageOptions {
  transport: AgentTransport;
  /** Guest vsock port the agent listens on (vsock and hybrid-vsock). */
  vsockPort: number;
  /** Extra kernel parameters, appended after Cella's own. */
  kernelParams: string[];
}

/** The virtio-serial port name the agent opens in the guest. */
export const AGENT_PORT_NAME = 'agent.channel.0';

/** The GuestImage port over the image builder's cache. */
export class CellaGuestImage implements GuestImage {
  constructor(private readonly builder: GuestImageBuilder, private readonly opts: CellaGuestImageOptions) {}

  async boot(sandbox: SandboxContext): Promise<GuestBoot> {
    const { image, fresh } = await this.builder.checkCurrent();
    if (!image) throw ImageErrors.IMAGE_MISSING.create('No guest image is built', { hint: IMAGE_BUILD_HINT });
    if (!fresh) {
      throw ImageErrors.IMAGE_STALE.create('The guest image is older than its inputs', {
        details: { key: image.key, dir: image.dir },
        hint: IMAGE_BUILD_HINT,
      });
    }
    const agentChannel = this.channel(sandbox);
    const guestSide = agentChannel.kind === 'virtio-serial' ? `virtio-serial:${agentChannel.name}` : `vsock:${agentChannel.port}`;
    return {
      kernel: image.files.kernel,
      initrd: image.files.initrd,
      image: image.files.image,
      // No per-sandbox value on the command line (the hostname comes with CreateSandbox): one VM template can
      // then serve every sandbox.
      kernelParams: ['quiet', 'panic=-1', `cella.agent=${guestSide}`, ...this.opts.kernelParams],
      agentChannel,
    };
  }

  build(options: { force?: boolean; progress?: (line: string) => void }): Promise<GuestImageRecord> {
    return this.builder.build(options);
  }

  list(): Promise<GuestImageRecord[]> {
    return this.builder.list();
  }

  status(): Promise<{ image?: GuestImageRecord; fresh: boolean }> {
    return this.builder.checkCurrent();
  }

  private channel(sandbox: SandboxContext): AgentChannel {
    switch (this.opts.transport) {
      case 'virtio-serial':
        return { kind: 'virtio-serial', socketPath: join(sandbox.runDir, 'agent.sock'), name: AGENT_PORT_NAME };
      case 'vsock':
        // 0-2 are reserved and 0xffffffff is VMADDR_CID_ANY; the hypervisor checks the CID is free.
        return { kind: 'vsock', cid: randomInt(3, 0x7fff_ffff), port: this.opts.vsockPort };
      case 'hybrid-vsock':
        return { kind: 'hybrid-vsock', socketPath: join(sandbox.runDir, 'vsock.sock'), port: this.opts.vsockPort };
    }
  }
}

/** A valid hostname (RFC 1123 label, at most 63 characters) made from a sandbox id. */
/** A name the guest accepts as its hostname: `name` when it is one, else `hostnameFor(name)`. */
export function guestHostname(name: string): string {
  return /^(?=.{1,64}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name) ? name : hostnameFor(name);
}

export function hostnameFor(id: string): string {
  const label = id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return label === '' ? 'cella' : label;
}
