// SPDX-License-Identifier: Apache-2.0
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentErrors } from '../agent-errors';

export const DISK_WAIT_MS = 5000;
const POLL_MS = 50;

/**
 * Finds the block device whose serial is `serial`: `/sys/block/<disk>/serial` (virtio-blk), or the unit
 * serial page `device/vpd_pg80` (SCSI). Polls while the disk may still be hot-plugging.
 * Returns the disk name (`vdb`); throws E_AGENT_DISK_NOT_FOUND after `timeoutMs`.
 */
export async function findDiskBySerial(serial: string, options: { sysBlockDir: string; timeoutMs?: number }): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? DISK_WAIT_MS);
  for (;;) {
    const found = await scan(serial, options.sysBlockDir);
    if (found) return found;
    if (Date.now() >= deadline) {
      throw AgentErrors.AGENT_DISK_NOT_FOUND.create('No guest disk has the storage serial', {
        details: { serial, sysBlockDir: options.sysBlockDir, timeoutMs: options.timeoutMs ?? DISK_WAIT_MS },
      });
    }
    await sleep(POLL_MS);
  }
}

async function scan(serial: string, sysBlockDir: string): Promise<string | undefined> {
  let disks: string[];
  try {
    disks = await readdir(sysBlockDir);
  } catch {
    return undefined;
  }
  for (const disk of disks.sort()) {
    if ((await readSerial(join(sysBlockDir, disk))) === serial) return disk;
  }
  return undefined;
}

async function readSerial(dir: string): Promise<string | undefined> {
  const plain = await readFile(join(dir, 'serial'), 'latin1').catch(() => undefined);
  if (plain !== undefined) return plain.replace(/\0+$/, '').trim();
  const vpd = await readFile(join(dir, 'device', 'vpd_pg80')).catch(() => undefined);
  // VPD page 0x80: a 4-byte header, then the serial (ASCII, may be space padded).
  if (vpd && vpd.length > 4) return vpd.subarray(4, 4 + vpd.readUInt16BE(2)).toString('latin1').replace(/\0+$/, '').trim();
  return undefined;
}
