// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { checkPassable, findPciFunction, type PciFunction } from './pci-function';
import { FakeSysfs } from './test-support/fake-sysfs';

const VF = '0000:3b:02.1';
const PF = '0000:3b:00.0';
const MAC = '02:00:00:5e:00:21';

describe('findPciFunction (fake sysfs: no SR-IOV hardware on this machine)', () => {
  let sysfs: FakeSysfs;
  beforeEach(async () => {
    sysfs = await FakeSysfs.create();
    await sysfs.addFunction({ address: PF, driver: 'ice', totalVfs: 8, iommuGroup: '40' });
    await sysfs.addFunction({ address: VF, driver: 'iavf', physfn: PF, iommuGroup: '41', netdev: { name: 'net1', mac: MAC } });
  });
  afterEach(async () => { await sysfs.remove(); });

  it('resolves a VF netdev from class/net to its PCI address, PF, driver and IOMMU group (fake sysfs)', async () => {
    const fn = await findPciFunction(sysfs.sysfsRoot, { name: 'net1', mac: MAC.toUpperCase() }, undefined);
    assert.deepEqual(fn, { interface: 'net1', address: VF, dir: sysfs.sys('bus/pci/devices', VF), physfn: PF, driver: 'iavf', iommuGroup: '41' });
  });

  it('takes the PCI address netlink reported as parent device, without class/net (fake sysfs)', async () => {
    const fn = await findPciFunction(sysfs.sysfsRoot, { name: 'eth7', mac: MAC }, { bus: 'pci', device: VF });
    assert.equal(fn.address, VF);
    assert.equal(fn.physfn, PF);
  });

  it('refuses a parent device on another bus, naming the interface and the bus (fake sysfs)', async () => {
    await assert.rejects(findPciFunction(sysfs.sysfsRoot, { name: 'eth0', mac: MAC }, { bus: 'virtio', device: 'virtio2' }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_PCI'));
      assert.match(err.message, /eth0/);
      assert.deepEqual(err.details, { interface: 'eth0', bus: 'virtio', device: 'virtio2' });
      return true;
    });
  });

  it('refuses a netdev without a device link as a virtual link, naming the file (fake sysfs)', async () => {
    await sysfs.addVirtualNetdev('veth9', MAC);
    await assert.rejects(findPciFunction(sysfs.sysfsRoot, { name: 'veth9', mac: MAC }, undefined), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_PCI'));
      assert.match(err.message, /veth9/);
      assert.equal(err.details.file, sysfs.sys('class/net/veth9/device'));
      assert.match(err.hint ?? '', /virtual link/);
      return true;
    });
  });

  it('refuses a class/net entry whose MAC is not the interface\'s (a host link of the same name) (fake sysfs)', async () => {
    await assert.rejects(findPciFunction(sysfs.sysfsRoot, { name: 'net1', mac: '02:00:00:00:00:99' }, undefined), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_PCI'));
      assert.equal(err.details.sysfsMac, MAC);
      return true;
    });
  });

  it('refuses a parent address that has no folder under bus/pci/devices (fake sysfs)', async () => {
    await assert.rejects(findPciFunction(sysfs.sysfsRoot, { name: 'net1', mac: MAC }, { bus: 'pci', device: '0000:99:00.0' }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_PCI'));
      assert.equal(err.details.file, sysfs.sys('bus/pci/devices/0000:99:00.0'));
      return true;
    });
  });
});

describe('checkPassable (fake sysfs: no SR-IOV hardware on this machine)', () => {
  const base: PciFunction = { interface: 'net1', address: VF, dir: '/sys/bus/pci/devices/' + VF, physfn: PF, driver: 'iavf', iommuGroup: '41' };

  it('accepts a VF with an IOMMU group (fake sysfs)', () => {
    checkPassable(base, false);
  });

  it('refuses a physical function unless allow_physical_function, naming interface and address (fake sysfs)', () => {
    const pf = { ...base, address: PF, physfn: undefined };
    assert.throws(() => checkPassable(pf, false), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_VF'));
      assert.match(err.message, /net1/);
      assert.match(err.message, /0000:3b:00\.0/);
      assert.match(err.hint ?? '', /allow_physical_function/);
      return true;
    });
    checkPassable(pf, true);
  });

  it('refuses a function without an IOMMU group (fake sysfs)', () => {
    assert.throws(() => checkPassable({ ...base, iommuGroup: undefined }, false), (err: unknown) => isCellaError(err, 'E_NETWORK_SRIOV_NO_IOMMU') && err.details.file === `${base.dir}/iommu_group`);
  });
});
