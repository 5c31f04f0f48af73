// SPDX-License-Identifier: Apache-2.0
import { isAbsolute } from 'node:path';
import type { JournalEntry } from '@cella/core';
import { SriovErrors } from './sriov-errors';
import { PCI_ADDRESS } from './sysfs-file';

/** Journal entry type of one PCI function taken from its host driver for vfio-pci. */
export const SRIOV_BINDING = 'sriov-binding';

/**
 * The data of a `sriov-binding` journal entry: all that is needed to give the function back to its
 * driver after a crash, with no live object. Recorded before the function is unbound.
 */
export interface SriovBindingRecord {
  /** The pod interface the function carried (for messages only: the netdev is gone while vfio-pci holds it). */
  interface: string;
  pciAddress: string;
  /** The driver to bind back; absent when the function had none. */
  originalDriver?: string;
  iommuGroup: string;
  /** The sysfs mount the writes go to. */
  sysfsRoot: string;
}

/** A driver name as sysfs shows it: one path component. */
const DRIVER_NAME = /^[A-Za-z0-9_.:+-]+$/;

/**
 * Reads the record back from a journal entry, refusing data that would send writes elsewhere than the
 * function's own sysfs files (the entry names paths: it is checked like input). Throws E_NETWORK_SRIOV_JOURNAL.
 */
export function bindingRecordFromEntry(entry: JournalEntry): SriovBindingRecord {
  const d = entry.data;
  const bad = (field: string): Error => SriovErrors.NETWORK_SRIOV_JOURNAL.create('A sriov-binding journal entry holds unusable data', {
    details: { seq: entry.seq, label: entry.label, field, value: d[field] },
  });
  if (typeof d.pciAddress !== 'string' || !PCI_ADDRESS.test(d.pciAddress)) throw bad('pciAddress');
  if (typeof d.sysfsRoot !== 'string' || !isAbsolute(d.sysfsRoot)) throw bad('sysfsRoot');
  const driver = d.originalDriver;
  if (driver !== undefined && (typeof driver !== 'string' || !DRIVER_NAME.test(driver) || driver === '..' || driver === '.')) throw bad('originalDriver');
  if (typeof d.iommuGroup !== 'string') throw bad('iommuGroup');
  return {
    interface: typeof d.interface === 'string' ? d.interface : '',
    pciAddress: d.pciAddress,
    ...(driver === undefined ? {} : { originalDriver: driver }),
    iommuGroup: d.iommuGroup,
    sysfsRoot: d.sysfsRoot,
  };
}
