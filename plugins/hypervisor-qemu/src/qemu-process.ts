// SPDX-License-Identifier: Apache-2.0
import { closeSync, openSync, promises as fs } from 'node:fs';
import type { VmSpec } from '@cella/core';
import { connectUnixFd, listenUnixFd } from '@cella/core/process';
import type { QemuHandles } from './qemu-command-line';

/**
 * The fds QEMU inherits, numbered as QEMU sees them (3, 4, …: spawn's `stdio` array past stdin, stdout, stderr).
 * Fds opened here for QEMU are closed in the runtime once QEMU has its copies; the tap fds belong to the network
 * driver and stay open.
 */
export class ChildFds {
  private readonly fds: number[] = [];
  private readonly owned: number[] = [];

  /** Hand `fd` to the child; returns its number there. `owned`: this object closes it (`closeOwned`). */
  pass(fd: number, owned: boolean): number {
    this.fds.push(fd);
    if (owned) this.owned.push(fd);
    return 3 + this.fds.length - 1;
  }

  /** What to append to spawn's stdio array. */
  get stdio(): number[] {
    return [...this.fds];
  }

  closeOwned(): void {
    for (const fd of this.owned.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
  }
}

/**
 * The spec as QEMU sees it when the runtime's tap fds are handed over as the child's fds.
 * `stdio` is what to append to spawn's stdio array (index = the fd number in the child minus 3).
 */
export function mapNetFds(spec: VmSpec, fds = new ChildFds()): { spec: VmSpec; stdio: number[]; fds: ChildFds } {
  const devices = spec.devices.map((device) => {
    if (device.kind !== 'net' || device.fds === undefined) return device;
    return { ...device, fds: device.fds.map((fd) => fds.pass(fd, false)) };
  });
  return { spec: { ...spec, devices }, stdio: fds.stdio, fds };
}

/**
 * Opens, as root, what QEMU would otherwise open by path — its QMP and agent sockets (listening), virtiofsd's
 * sockets (connected), the root image and the disks on its command line — so that an unprivileged QEMU needs
 * no right on the state folders, the images or host block devices (docs/adr/0012). Everything is added to `fds`;
 * on failure what was opened is closed.
 */
export function openQemuHandles(spec: VmSpec, qmpSocket: string, fds: ChildFds): QemuHandles {
  try {
    const handles: QemuHandles & { fsFds: Map<string, number>; diskFds: Map<string, number> } = {
      qmpFd: fds.pass(listenUnixFd(qmpSocket), true), fsFds: new Map(), diskFds: new Map(), console: 'stdio',
      kernelFd: fds.pass(openSync(spec.kernel, 'r'), true),
    };
    if (spec.initrd !== undefined) handles.initrdFd = fds.pass(openSync(spec.initrd, 'r'), true);
    if (spec.agentChannel.kind === 'virtio-serial') handles.agentFd = fds.pass(listenUnixFd(spec.agentChannel.socketPath), true);
    if (spec.image !== undefined) handles.diskFds.set(spec.image, fds.pass(openSync(spec.image, 'r'), true));
    for (const d of spec.devices) {
      if (d.kind === 'fs') handles.fsFds.set(d.id, fds.pass(connectUnixFd(d.socketPath), true));
      else if (d.kind === 'block' && !handles.diskFds.has(d.path)) handles.diskFds.set(d.path, fds.pass(openSync(d.path, d.readOnly ? 'r' : 'r+'), true));
    }
    return handles;
  } catch (err) {
    fds.closeOwned();
    throw err;
  }
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
