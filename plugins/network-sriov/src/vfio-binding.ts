// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cella/core';
import { pciDeviceDir } from './pci-function';
import type { SriovBindingRecord } from './sriov-binding-state';
import { SriovErrors } from './sriov-errors';
import { entryExists, linkName, writeSysfs } from './sysfs-file';

export const VFIO_PCI = 'vfio-pci';

export interface BindingOptions {
  /** Read the `driver` link back after a bind (see SriovConfig.verify_binding). */
  verify: boolean;
  logger: Logger;
}

function driverDir(sysfsRoot: string, driver: string): string {
  return join(sysfsRoot, 'bus', 'pci', 'drivers', driver);
}

/** True when the vfio-pci driver is registered (its folder exists under `<sysfs_root>/bus/pci/drivers`). */
export function vfioDriverLoaded(sysfsRoot: string): Promise<boolean> {
  return entryExists(driverDir(sysfsRoot, VFIO_PCI));
}

/**
 * Moves the function from its host driver to vfio-pci: the address to `<device>/driver/unbind` (skipped when
 * it has no driver), `vfio-pci` to `<device>/driver_override` (so no other driver can take it), the address
 * to `<sysfs_root>/bus/pci/drivers/vfio-pci/bind`. The journal entry must be recorded before this runs.
 * Throws E_NETWORK_SRIOV_SYSFS (a write failed), E_NETWORK_SRIOV_BIND (verify: vfio-pci does not hold it).
 */
export async function bindToVfio(rec: SriovBindingRecord, options: BindingOptions): Promise<void> {
  const dir = pciDeviceDir(rec.sysfsRoot, rec.pciAddress);
  const where = { interface: rec.interface, pciAddress: rec.pciAddress };
  if (rec.originalDriver !== undefined) await writeSysfs(join(dir, 'driver', 'unbind'), rec.pciAddress, options.logger, [], where);
  await writeSysfs(join(dir, 'driver_override'), VFIO_PCI, options.logger, [], where);
  await writeSysfs(join(driverDir(rec.sysfsRoot, VFIO_PCI), 'bind'), rec.pciAddress, options.logger, [], where);
  if (options.verify) {
    const now = await linkName(join(dir, 'driver'), where);
    if (now !== VFIO_PCI) {
      throw SriovErrors.NETWORK_SRIOV_BIND.create(`PCI function ${rec.pciAddress} of interface ${rec.interface} is not bound to vfio-pci after the bind`, {
        details: { ...where, file: join(dir, 'driver'), driver: now }, hint: 'The kernel log (dmesg) says why vfio-pci refused it',
      });
    }
  }
}

/**
 * Gives the function back to its original driver from the record alone, whatever step a crash stopped at:
 * the address to `vfio-pci/unbind` (ENODEV, not held by vfio-pci, and ENOENT, vfio-pci gone, are fine),
 * a newline to `driver_override` (clears it), the address to `<original driver>/bind` (EBUSY is fine when the
 * original driver holds it already). A function that left sysfs (VFs disabled) has nothing to restore.
 * Throws E_NETWORK_SRIOV_RESTORE with the failed step as cause.
 */
export async function restoreHostDriver(rec: SriovBindingRecord, options: BindingOptions): Promise<void> {
  const dir = pciDeviceDir(rec.sysfsRoot, rec.pciAddress);
  const where = { interface: rec.interface, pciAddress: rec.pciAddress, driver: rec.originalDriver };
  try {
    if (!(await entryExists(dir))) {
      options.logger.info('PCI function left sysfs: nothing to give back', where);
      return;
    }
    await writeSysfs(join(driverDir(rec.sysfsRoot, VFIO_PCI), 'unbind'), rec.pciAddress, options.logger, ['ENODEV', 'ENOENT'], where);
    await writeSysfs(join(dir, 'driver_override'), '\n', options.logger, [], where);
    if (rec.originalDriver === undefined) return;
    const bound = await writeSysfs(join(driverDir(rec.sysfsRoot, rec.originalDriver), 'bind'), rec.pciAddress, options.logger, ['EBUSY'], where);
    if (!bound || options.verify) {
      const now = await linkName(join(dir, 'driver'), where);
      if (now !== rec.originalDriver) {
        throw SriovErrors.NETWORK_SRIOV_BIND.create('The function is bound to another driver', { details: { ...where, file: join(dir, 'driver'), now } });
      }
    }
  } catch (err) {
    throw SriovErrors.NETWORK_SRIOV_RESTORE.create(`PCI function ${rec.pciAddress} could not be given back to driver ${rec.originalDriver ?? '(none)'}`, {
      cause: err, details: where, hint: 'Bind it by hand: echo <address> > /sys/bus/pci/drivers/<driver>/bind',
    });
  }
}

/** Waits up to `timeoutMs` for `<dev_root>/vfio/<group>` (devtmpfs makes it when vfio-pci takes the group). */
export async function waitForGroupNode(devRoot: string, group: string, timeoutMs: number): Promise<boolean> {
  const node = join(devRoot, 'vfio', group);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await entryExists(node)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}
