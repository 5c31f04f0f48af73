// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';

/** `major:minor` of every block device mounted in this mount namespace (from /proc/self/mountinfo). */
async function mountedDevices(): Promise<Set<string>> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return new Set(text.split('\n').filter(Boolean).map((l) => l.split(' ')[2]!));
}

/**
 * The `major:minor` of the block device `rdev` when a host mount uses it, else undefined: a filesystem mounted by
 * the host and the guest at once is corrupted, so such a device is never attached (rootfs or volume).
 */
export async function mountedOnHost(rdev: number): Promise<string | undefined> {
  const majmin = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
  return (await mountedDevices()).has(majmin) ? majmin : undefined;
}
