// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { JsonLogger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import type { SriovBindingRecord } from './sriov-binding-state';
import { writeSysfs } from './sysfs-file';
import { FakeSysfs } from './test-support/fake-sysfs';
import { takeSysfsWrites } from './test-support/sandbox-fixture';
import { bindToVfio, restoreHostDriver, waitForGroupNode } from './vfio-binding';

const VF = '0000:3b:02.1';

describe('vfio-binding (fake sysfs: no SR-IOV hardware on this machine)', () => {
  let sysfs: FakeSysfs;
  let logs: string[];
  let logger: JsonLogger;
  let rec: SriovBindingRecord;

  beforeEach(async () => {
    sysfs = await FakeSysfs.create();
    await sysfs.addDriver('vfio-pci');
    await sysfs.addFunction({ address: VF, driver: 'iavf', physfn: '0000:3b:00.0', iommuGroup: '41' });
    logs = [];
    logger = new JsonLogger((l) => logs.push(l), 'debug');
    rec = { interface: 'net1', pciAddress: VF, originalDriver: 'iavf', iommuGroup: '41', sysfsRoot: sysfs.sysfsRoot };
  });
  afterEach(async () => { await sysfs.remove(); });

  it('binds to vfio-pci by unbinding the host driver, setting driver_override, then binding (fake sysfs)', async () => {
    await bindToVfio(rec, { verify: false, logger });
    assert.deepEqual(takeSysfsWrites(logs, sysfs.sysfsRoot), [
      `bus/pci/devices/${VF}/driver/unbind <- "${VF}"`,
      `bus/pci/devices/${VF}/driver_override <- "vfio-pci"`,
      `bus/pci/drivers/vfio-pci/bind <- "${VF}"`,
    ]);
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/unbind'), VF);
    assert.equal(await sysfs.read('devices/pci0000:00', VF, 'driver_override'), 'vfio-pci');
    assert.equal(await sysfs.read('bus/pci/drivers/vfio-pci/bind'), VF);
  });

  it('skips the unbind of a function that had no driver (fake sysfs)', async () => {
    const { originalDriver: _none, ...noDriver } = rec;
    await bindToVfio(noDriver, { verify: false, logger });
    assert.deepEqual(takeSysfsWrites(logs, sysfs.sysfsRoot).map((w) => w.split(' <- ')[0]), [
      `bus/pci/devices/${VF}/driver_override`, 'bus/pci/drivers/vfio-pci/bind',
    ]);
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/unbind'), '');
  });

  it('with verify_binding, fails naming the driver link when vfio-pci does not hold the function (fake sysfs never moves it)', async () => {
    await assert.rejects(bindToVfio(rec, { verify: true, logger }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_BIND'));
      assert.equal(err.details.file, sysfs.sys('bus/pci/devices', VF, 'driver'));
      assert.equal(err.details.driver, 'iavf');
      return true;
    });
  });

  it('restores by unbinding from vfio-pci, clearing driver_override and binding the original driver (fake sysfs)', async () => {
    await restoreHostDriver(rec, { verify: true, logger });
    assert.deepEqual(takeSysfsWrites(logs, sysfs.sysfsRoot), [
      `bus/pci/drivers/vfio-pci/unbind <- "${VF}"`,
      `bus/pci/devices/${VF}/driver_override <- "\\n"`,
      `bus/pci/drivers/iavf/bind <- "${VF}"`,
    ]);
    assert.equal(await sysfs.read('bus/pci/drivers/vfio-pci/unbind'), VF);
    assert.equal(await sysfs.read('devices/pci0000:00', VF, 'driver_override'), '\n');
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/bind'), VF);
  });

  it('restores when vfio-pci is gone (crash before it was loaded): its unbind ENOENT is expected (fake sysfs)', async () => {
    await fs.rm(sysfs.sys('bus/pci/drivers/vfio-pci'), { recursive: true });
    await restoreHostDriver(rec, { verify: false, logger });
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/bind'), VF);
    assert.equal(await sysfs.read('bus/pci/drivers/vfio-pci/unbind'), undefined, 'no file was created');
  });

  it('restores nothing for a function that left sysfs (VFs disabled meanwhile) (fake sysfs)', async () => {
    await fs.rm(sysfs.sys('bus/pci/devices', VF));
    await restoreHostDriver(rec, { verify: true, logger });
    assert.deepEqual(takeSysfsWrites(logs, sysfs.sysfsRoot), []);
  });

  it('fails to restore when the original driver is gone, naming address and driver (fake sysfs)', async () => {
    await assert.rejects(restoreHostDriver({ ...rec, originalDriver: 'ixgbevf' }, { verify: false, logger }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_RESTORE'));
      assert.match(err.message, /0000:3b:02\.1.*ixgbevf/);
      assert.ok(isCellaError(err.cause, 'E_NETWORK_SRIOV_SYSFS'));
      assert.equal(err.cause.details.file, sysfs.sys('bus/pci/drivers/ixgbevf/bind'));
      assert.equal(err.cause.details.errno, 'ENOENT');
      return true;
    });
  });

  it('with verify_binding, fails to restore when another driver holds the function (fake sysfs)', async () => {
    await sysfs.addDriver('other');
    await fs.rm(sysfs.sys('devices/pci0000:00', VF, 'driver'));
    await fs.symlink('../../../bus/pci/drivers/other', sysfs.sys('devices/pci0000:00', VF, 'driver'));
    await assert.rejects(restoreHostDriver(rec, { verify: true, logger }), (err: unknown) =>
      isCellaError(err, 'E_NETWORK_SRIOV_RESTORE') && isCellaError(err.cause, 'E_NETWORK_SRIOV_BIND') && err.cause.details.now === 'other');
  });

  it('writes sysfs attributes without ever creating a missing one (fake sysfs)', async () => {
    const file = sysfs.sys('bus/pci/drivers/nosuch/bind');
    await assert.rejects(writeSysfs(file, VF, logger), (err: unknown) => isCellaError(err, 'E_NETWORK_SRIOV_SYSFS') && err.details.file === file && err.details.errno === 'ENOENT');
    assert.equal(await writeSysfs(sysfs.sys('bus/pci/drivers/vfio-pci/nosuch'), VF, logger, ['ENOENT']), false);
    assert.equal(await sysfs.read('bus/pci/drivers/vfio-pci/nosuch'), undefined);
  });

  it('waits for the VFIO group node and gives up after the timeout (fake sysfs)', async () => {
    assert.equal(await waitForGroupNode(sysfs.devRoot, '41', 120), false);
    setTimeout(() => { void sysfs.addGroupNode('41'); }, 60);
    assert.equal(await waitForGroupNode(sysfs.devRoot, '41', 2000), true);
  });
});
