// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FakeSysfs } from './test-support/fake-sysfs';
import { VfioHostCheck } from './vfio-host-check';

describe('VfioHostCheck (fake sysfs: no SR-IOV hardware on this machine)', () => {
  let sysfs: FakeSysfs;
  let modules: string;
  beforeEach(async () => {
    sysfs = await FakeSysfs.create();
    modules = path.join(sysfs.root, 'modules');
    await fs.mkdir(modules);
  });
  afterEach(async () => { await sysfs.remove(); });

  const run = async (): Promise<Record<string, { status: string; detail: string }>> =>
    Object.fromEntries((await new VfioHostCheck({ sysfs_root: sysfs.sysfsRoot }, modules).run()).map((r) => [r.name, r]));

  it('passes when the vfio-pci driver is registered and IOMMU groups exist (fake sysfs)', async () => {
    await sysfs.addDriver('vfio-pci');
    await sysfs.addFunction({ address: '0000:3b:02.1', iommuGroup: '41' });
    await sysfs.addFunction({ address: '0000:3b:02.2', iommuGroup: '42' });
    const r = await run();
    assert.equal(r['vfio-pci']?.status, 'pass');
    assert.ok(r['vfio-pci']?.detail.includes(sysfs.sys('bus/pci/drivers/vfio-pci')));
    assert.equal(r.iommu?.status, 'pass');
    assert.match(r.iommu!.detail, /^2 IOMMU groups/);
  });

  it('warns that vfio-pci can be loaded when modules.dep lists it (fake sysfs)', async () => {
    await fs.writeFile(path.join(modules, 'modules.dep'), 'kernel/drivers/vfio/vfio.ko.xz:\nkernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz\n');
    const r = await run();
    assert.equal(r['vfio-pci']?.status, 'warn');
    assert.match(r['vfio-pci']!.detail, /modprobe vfio-pci/);
  });

  it('warns that attach will fail when vfio-pci is neither loaded nor installed, and that the IOMMU is off (fake sysfs)', async () => {
    await fs.writeFile(path.join(modules, 'modules.dep'), 'kernel/drivers/vfio/pci/vfio-pci-core.ko.xz:\n');
    const r = await run();
    assert.equal(r['vfio-pci']?.status, 'warn');
    assert.match(r['vfio-pci']!.detail, /will fail/);
    assert.equal(r.iommu?.status, 'warn');
    assert.match(r.iommu!.detail, /intel_iommu=on/);
  });
});
