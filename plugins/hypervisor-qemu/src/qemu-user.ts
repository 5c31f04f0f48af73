// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import type { VmSpec } from '@cella/core';
import { ensureSystemUser, type SystemUser } from '@cella/core/process';

/** One lookup (and at most one `useradd`) per user and process. */
const users = new Map<string, Promise<SystemUser>>();

/** The system user an unprivileged QEMU runs as (made when missing); E_PROCESS_USER when it cannot be had. */
export function vmmUser(name: string): Promise<SystemUser> {
  let user = users.get(name);
  if (!user) {
    user = ensureSystemUser(name);
    users.set(name, user);
    user.catch(() => users.delete(name));
  }
  return user;
}

async function groupOf(device: string): Promise<number | undefined> {
  const st = await fs.stat(device).catch(() => undefined);
  // Group root would hand QEMU far more than the device: such a device is left to fail with QEMU's own message.
  return st && st.gid !== 0 ? st.gid : undefined;
}

/**
 * The supplementary groups an unprivileged QEMU needs for the host devices it opens itself (no version here can
 * take them as fds): /dev/kvm under KVM, /dev/vhost-vsock for a vsock agent channel, the VFIO group files.
 */
export async function deviceGroups(accel: 'kvm' | 'tcg', spec: VmSpec): Promise<number[]> {
  const devices: string[] = [];
  if (accel === 'kvm') devices.push('/dev/kvm');
  if (spec.agentChannel.kind === 'vsock') devices.push('/dev/vhost-vsock');
  if (spec.devices.some((d) => d.kind === 'vfio')) devices.push('/dev/vfio/vfio');
  const groups = new Set<number>();
  for (const d of devices) {
    const gid = await groupOf(d);
    if (gid !== undefined) groups.add(gid);
  }
  return [...groups];
}
