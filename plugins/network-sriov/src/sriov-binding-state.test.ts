// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import type { JournalEntry } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { bindingRecordFromEntry } from './sriov-binding-state';

function entry(data: Record<string, unknown>): JournalEntry {
  return { seq: 7, type: 'sriov-binding', owner: 'network.sriov', label: 'net1', data, createdAt: '2025-01-01T00:00:00Z' };
}

const good = { interface: 'net1', pciAddress: '0000:3b:02.1', originalDriver: 'iavf', iommuGroup: '41', sysfsRoot: '/tmp/fake-sysfs/sys' };

describe('bindingRecordFromEntry (fake sysfs paths: no SR-IOV hardware on this machine)', () => {
  it('reads back the record the driver journalled, with or without an original driver (fake sysfs)', () => {
    assert.deepEqual(bindingRecordFromEntry(entry(good)), good);
    const { originalDriver: _d, ...none } = good;
    assert.deepEqual(bindingRecordFromEntry(entry(JSON.parse(JSON.stringify(none)) as Record<string, unknown>)), none);
  });

  for (const [field, value] of [
    ['pciAddress', '../../../../etc'], ['pciAddress', '0000:3B:02.1'], ['originalDriver', '../vfio-pci'],
    ['originalDriver', '..'], ['sysfsRoot', 'relative/sys'], ['iommuGroup', 41],
  ] as const) {
    it(`refuses an entry whose ${field} is ${JSON.stringify(value)}, naming the field (fake sysfs)`, () => {
      assert.throws(() => bindingRecordFromEntry(entry({ ...good, [field]: value })), (err: unknown) =>
        isCellaError(err, 'E_NETWORK_SRIOV_JOURNAL') && err.details.field === field && err.details.seq === 7);
    });
  }
});
