// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { FileJournal, JsonLogger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { SriovBindingUndo } from './sriov-binding-undo';
import { SriovNetworkDriver } from './sriov-network-driver';
import { FakeSysfs } from './test-support/fake-sysfs';
import { type SandboxFixture, makeSandboxFixture, takeEvents } from './test-support/sandbox-fixture';
import { TestNetns } from './test-support/test-netns';

const PF = '0000:3b:00.0';
const VF1 = '0000:3b:02.1';
const VF2 = '0000:3b:02.2';
const MAC1 = '02:00:0a:4d:00:02';
const MAC2 = '02:00:0a:4e:00:02';

/**
 * A real pod namespace whose interfaces are veths named like VF netdevs (net1, net2: IPv4 address, a route via
 * a gateway), and a fake sysfs where class/net/<name> of each leads to a VF of PF 0000:3b:00.0 bound to iavf.
 * The veth has no parent device over netlink, so the plugin falls back to the fake class/net.
 */
describe('SriovNetworkDriver (needs root: real netns; fake sysfs: no SR-IOV hardware on this machine)', () => {
  let ns: TestNetns;
  let sysfs: FakeSysfs;
  let f: SandboxFixture;

  before(function () { if (process.getuid?.() !== 0) this.skip(); });
  beforeEach(async () => {
    ns = TestNetns.create();
    ns.ip('link', 'set', 'lo', 'up');
    sysfs = await FakeSysfs.create();
    await sysfs.addDriver('vfio-pci');
    await sysfs.addFunction({ address: PF, driver: 'ice', totalVfs: 8, iommuGroup: '40' });
    f = await makeSandboxFixture();
  });
  afterEach(async () => {
    ns.remove();
    await sysfs.remove();
    await fs.rm(f.root, { recursive: true, force: true });
  });

  function podLink(name: string, mac: string, subnet: number): void {
    ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
    ns.ip('link', 'set', name, 'address', mac, 'mtu', '1450', 'up');
    ns.ip('link', 'set', `${name}p`, 'up');
    ns.ip('addr', 'add', `10.${subnet}.0.2/24`, 'dev', name);
    ns.ip('route', 'add', `10.${subnet + 100}.0.0/16`, 'via', `10.${subnet}.0.1`);
  }

  async function vf(name: string, mac: string, address: string, group: string, node = true): Promise<void> {
    podLink(name, mac, name === 'net1' ? 77 : 78);
    await sysfs.addFunction({ address, driver: 'iavf', physfn: PF, iommuGroup: group, netdev: { name, mac } });
    if (node) await sysfs.addGroupNode(group);
  }

  const driver = (extra: Record<string, unknown> = {}): SriovNetworkDriver =>
    new SriovNetworkDriver(f.sandbox, { sysfs_root: sysfs.sysfsRoot, dev_root: sysfs.devRoot, verify_binding: false, ...extra });
  const events = (): string[] => takeEvents(f.logs, sysfs.sysfsRoot);
  const bindWrites = (address: string): string[] => [
    `bus/pci/devices/${address}/driver/unbind <- "${address}"`,
    `bus/pci/devices/${address}/driver_override <- "vfio-pci"`,
    `bus/pci/drivers/vfio-pci/bind <- "${address}"`,
  ];
  const restoreWrites = (address: string): string[] => [
    `bus/pci/drivers/vfio-pci/unbind <- "${address}"`,
    `bus/pci/devices/${address}/driver_override <- "\\n"`,
    `bus/pci/drivers/iavf/bind <- "${address}"`,
  ];

  it('attaches a VF as a vfio device with its PCI address, and gives the guest its MAC, MTU, addresses and route (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    const att = await driver().attach(ns.path);
    assert.deepEqual(att.devices, [{ kind: 'vfio', id: 'vfio0', pciAddress: VF1 }]);
    assert.deepEqual(att.interfaces, [{ name: 'net1', mac: MAC1, mtu: 1450, addresses: [{ family: 4, address: '10.77.0.2', prefixLength: 24 }] }]);
    assert.deepEqual(att.routes.map((r) => `${r.destination} via ${r.gateway} dev ${r.device}`), ['10.177.0.0/16 via 10.77.0.1 dev net1']);
    assert.deepEqual(events(), [`record sriov-binding ${VF1} (iavf)`, ...bindWrites(VF1)], 'journalled before the unbind');
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/unbind'), VF1);
    assert.equal(await sysfs.read('bus/pci/devices', VF1, 'driver_override'), 'vfio-pci');
    assert.equal(await sysfs.read('bus/pci/drivers/vfio-pci/bind'), VF1);
    assert.deepEqual(f.journal.entries().map((e) => [e.type, e.owner, e.data]), [
      ['sriov-binding', 'network.sriov', { interface: 'net1', pciAddress: VF1, iommuGroup: '41', sysfsRoot: sysfs.sysfsRoot, originalDriver: 'iavf' }],
    ]);
  });

  it('detach gives every VF back to its original driver, newest first, and empties the journal (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    await vf('net2', MAC2, VF2, '42');
    const d = driver();
    const att = await d.attach(ns.path);
    assert.deepEqual(att.devices.map((x) => [x.id, x.kind === 'vfio' && x.pciAddress]), [['vfio0', VF1], ['vfio1', VF2]]);
    events();
    await d.detach();
    assert.deepEqual(events(), [...restoreWrites(VF2), 'complete 2', ...restoreWrites(VF1), 'complete 1']);
    assert.equal(await sysfs.read('bus/pci/devices', VF1, 'driver_override'), '\n');
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/bind'), VF1);
    assert.deepEqual(f.journal.entries(), []);
    await d.detach();
    assert.deepEqual(events(), [], 'a second detach does nothing');
  });

  it('after a crash, the undo handler alone restores the original driver from the journal on disk (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    await driver().attach(ns.path);
    events();
    // A new process: only the state folder is left.
    const reopened = await FileJournal.open(f.sandbox.stateDir);
    assert.equal(reopened.entries().length, 1);
    const logger = new JsonLogger((l) => f.logs.push(l), 'debug');
    const failures = await reopened.unwind([new SriovBindingUndo({ verify: false, logger })], logger);
    assert.deepEqual(failures, []);
    assert.deepEqual(events(), restoreWrites(VF1));
    assert.equal(await sysfs.read('bus/pci/drivers/iavf/bind'), VF1);
    assert.deepEqual((await FileJournal.open(f.sandbox.stateDir)).entries(), []);
  });

  it('refuses a virtual link (no device link in sysfs), naming it, and changes nothing (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    podLink('veth5', '02:00:0a:4e:00:05', 78);
    await sysfs.addVirtualNetdev('veth5', '02:00:0a:4e:00:05');
    const before = await sysfs.snapshot();
    await assert.rejects(driver().attach(ns.path), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_NOT_PCI'));
      assert.match(err.message, /Interface veth5 has no PCI device/);
      assert.equal(err.details.file, sysfs.sys('class/net/veth5/device'));
      return true;
    });
    assert.deepEqual(events(), []);
    assert.deepEqual(await sysfs.snapshot(), before);
    assert.deepEqual(f.journal.entries(), []);
  });

  it('refuses a physical function unless allow_physical_function, then passes it (fake sysfs)', async () => {
    podLink('net1', MAC1, 77);
    await sysfs.addFunction({ address: '0000:5e:00.0', driver: 'ixgbe', totalVfs: 0, iommuGroup: '50', netdev: { name: 'net1', mac: MAC1 } });
    await sysfs.addGroupNode('50');
    await assert.rejects(driver().attach(ns.path), (err: unknown) =>
      isCellaError(err, 'E_NETWORK_SRIOV_NOT_VF') && /net1 \(0000:5e:00\.0\)/.test(err.message));
    assert.deepEqual(events(), []);
    const att = await driver({ allow_physical_function: true }).attach(ns.path);
    assert.deepEqual(att.devices, [{ kind: 'vfio', id: 'vfio0', pciAddress: '0000:5e:00.0' }]);
    assert.equal(await sysfs.read('bus/pci/drivers/ixgbe/unbind'), '0000:5e:00.0');
  });

  it('when the VFIO group node of the second VF does not appear, fails naming it and gives both VFs back (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    await vf('net2', MAC2, VF2, '42', false);
    await assert.rejects(driver().attach(ns.path), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_SRIOV_VFIO_GROUP'));
      assert.match(err.message, /0000:3b:02\.2 \(interface net2\)/);
      assert.equal(err.details.file, `${sysfs.devRoot}/vfio/42`);
      return true;
    });
    assert.deepEqual(events(), [
      `record sriov-binding ${VF1} (iavf)`, ...bindWrites(VF1), `record sriov-binding ${VF2} (iavf)`, ...bindWrites(VF2),
      ...restoreWrites(VF2), 'complete 2', ...restoreWrites(VF1), 'complete 1',
    ]);
    assert.deepEqual(f.journal.entries(), []);
  });

  it('refuses to start when vfio-pci is not loaded, before any write (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    await fs.rm(sysfs.sys('bus/pci/drivers/vfio-pci'), { recursive: true });
    await assert.rejects(driver().attach(ns.path), (err: unknown) =>
      isCellaError(err, 'E_NETWORK_SRIOV_VFIO_DRIVER') && err.hint === 'Run modprobe vfio-pci');
    assert.deepEqual(events(), []);
  });

  it('refuses a second attach while attached (fake sysfs)', async () => {
    await vf('net1', MAC1, VF1, '41');
    const d = driver();
    await d.attach(ns.path);
    await assert.rejects(d.attach(ns.path), (err: unknown) => isCellaError(err, 'E_NETWORK_SRIOV_ATTACHED'));
    await d.detach();
  });
});
