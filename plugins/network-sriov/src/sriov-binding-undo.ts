// SPDX-License-Identifier: Apache-2.0
import type { JournalEntry, Logger, UndoHandler } from '@cella/core';
import { SRIOV_BINDING, bindingRecordFromEntry } from './sriov-binding-state';
import { restoreHostDriver } from './vfio-binding';

/**
 * Undoes a `sriov-binding` journal entry after a crash (or when `detach` could not): gives the PCI function
 * back to its original driver using the entry's data alone (address, driver, sysfs root).
 * Throws E_NETWORK_SRIOV_JOURNAL (unusable entry), E_NETWORK_SRIOV_RESTORE.
 */
export class SriovBindingUndo implements UndoHandler {
  readonly type = SRIOV_BINDING;

  constructor(private readonly options: { verify: boolean; logger: Logger }) {}

  async undo(entry: JournalEntry): Promise<void> {
    const rec = bindingRecordFromEntry(entry);
    await restoreHostDriver(rec, this.options);
    this.options.logger.info('PCI function given back to its driver', { pciAddress: rec.pciAddress, driver: rec.originalDriver, seq: entry.seq });
  }
}
