// SPDX-License-Identifier: Apache-2.0
import { constants, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { Logger } from '@cella/core';
import { SriovErrors } from './sriov-errors';

/** A PCI address as sysfs names functions: domain:bus:device.function, lower-case hex. */
export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** O_WRONLY|O_TRUNC without O_CREAT: a missing file is ENOENT here as on sysfs, never a new file. */
const WRITE_FLAGS = constants.O_WRONLY | constants.O_TRUNC;

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** True when `file` exists (a dangling symlink counts: it is still an entry). */
export async function entryExists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
    throw SriovErrors.NETWORK_SRIOV_SYSFS.create('A sysfs entry could not be examined', { cause: err, details: { file, errno: errnoOf(err) } });
  }
}

/**
 * The last component of the symlink `file` points to (`driver` → `ixgbevf`, `iommu_group` → `17`),
 * or `undefined` when there is no such link.
 */
export async function linkName(file: string, details: Record<string, unknown> = {}): Promise<string | undefined> {
  try {
    return basename(await fs.readlink(file));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw SriovErrors.NETWORK_SRIOV_SYSFS.create('A sysfs link could not be read', { cause: err, details: { ...details, file, errno: errnoOf(err) } });
  }
}

/** The text of a sysfs attribute without its trailing newline, or `undefined` when it does not exist. */
export async function readAttribute(file: string, details: Record<string, unknown> = {}): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw SriovErrors.NETWORK_SRIOV_SYSFS.create('A sysfs attribute could not be read', { cause: err, details: { ...details, file, errno: errnoOf(err) } });
  }
}

/**
 * Writes `value` to a sysfs attribute in one write(2) (the kernel acts on each write), logging it at debug
 * level as `sysfs write` with the file and value. Resolves `false` when the kernel answered one of the
 * errno names in `tolerate` (ENODEV from an `unbind` of a device the driver does not hold, …), `true` when
 * written; any other failure is E_NETWORK_SRIOV_SYSFS with the file, value and errno in its details.
 */
export async function writeSysfs(
  file: string, value: string, logger: Logger, tolerate: readonly string[] = [], details: Record<string, unknown> = {},
): Promise<boolean> {
  logger.debug('sysfs write', { file, value });
  try {
    await fs.writeFile(file, value, { flag: WRITE_FLAGS });
    return true;
  } catch (err) {
    const errno = errnoOf(err);
    if (errno !== undefined && tolerate.includes(errno)) {
      logger.debug('sysfs write refused, as expected in this state', { file, value, errno });
      return false;
    }
    throw SriovErrors.NETWORK_SRIOV_SYSFS.create('A sysfs attribute could not be written', {
      cause: err, details: { ...details, file, value, errno },
    });
  }
}
