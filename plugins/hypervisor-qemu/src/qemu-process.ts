// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import type { VmSpec } from '@cella/core';

/**
 * The spec as QEMU sees it when the runtime's tap fds are handed over as the child's fds 3, 4, …
 * `stdio` is what to append to spawn's stdio array (index = the fd number in the child).
 */
export function mapNetFds(spec: VmSpec): { spec: VmSpec; stdio: number[] } {
  const stdio: number[] = [];
  const devices = spec.devices.map((device) => {
    if (device.kind !== 'net' || device.fds === undefined) return device;
    const fds = device.fds.map((fd) => {
      stdio.push(fd);
      return 3 + stdio.length - 1;
    });
    return { ...device, fds };
  });
  return { spec: { ...spec, devices }, stdio };
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
