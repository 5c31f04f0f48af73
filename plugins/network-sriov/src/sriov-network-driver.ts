// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import type { GuestInterface, Logger, NetworkAttachment, NetworkDriver, SandboxContext, VmDevice } from '@cella/core';
import { discoverEndpoints } from '@cella/netlink';
import { readLinkParents } from './link-parents';
import { type PciFunction, checkPassable, findPciFunction } from './pci-function';
import { SRIOV_BINDING, type SriovBindingRecord } from './sriov-binding-state';
import { resolveSriovConfig, type SriovConfig } from './sriov-config';
import { SriovErrors } from './sriov-errors';
import { VFIO_PCI, bindToVfio, restoreHostDriver, vfioDriverLoaded, waitForGroupNode } from './vfio-binding';

const PLUGIN_ID = 'network.sriov';
/** How long the VFIO group node may take to appear after the bind. */
const GROUP_NODE_WAIT_MS = 1000;

interface Binding { seq: number; record: SriovBindingRecord }

/**
 * Every interface of the pod namespace must be a PCI function (an SR-IOV VF, or a PF when allowed); each is
 * taken from its host driver, bound to vfio-pci and handed to the VM as a `vfio` device, while the guest
 * gets the interface's MAC, MTU, addresses, routes and neighbours to configure the VF's netdev with (Kata's
 * physical endpoint). Every binding is journalled (`sriov-binding`) before the function is unbound.
 */
export class SriovNetworkDriver implements NetworkDriver {
  private readonly config: SriovConfig;
  private readonly logger: Logger;
  private readonly bindings: Binding[] = [];
  private attached = false;

  constructor(private readonly sandbox: SandboxContext, config: Partial<SriovConfig>) {
    this.config = resolveSriovConfig(config);
    this.logger = sandbox.logger.child({ name: PLUGIN_ID });
  }

  /**
   * Discovers the pod's interfaces, checks every one (PCI function, VF policy, IOMMU group, vfio-pci loaded)
   * before anything changes, then binds each to vfio-pci and waits for its VFIO group node. On a failure the
   * functions already moved are given back and the error is thrown.
   * Throws E_NETWORK_* from discovery, E_NETWORK_SRIOV_* (see SriovErrors).
   */
  async attach(netnsPath: string): Promise<NetworkAttachment> {
    if (this.attached) throw SriovErrors.NETWORK_SRIOV_ATTACHED.create('The SR-IOV driver is attached already', { details: { netns: netnsPath } });
    const found = await discoverEndpoints(netnsPath, { logger: this.logger });
    const parents = await readLinkParents(netnsPath);
    const functions: PciFunction[] = [];
    for (const iface of found.interfaces) {
      const fn = await findPciFunction(this.config.sysfs_root, iface, parents.get(iface.name));
      checkPassable(fn, this.config.allow_physical_function);
      functions.push(fn);
    }
    if (!(await vfioDriverLoaded(this.config.sysfs_root))) {
      throw SriovErrors.NETWORK_SRIOV_VFIO_DRIVER.create('The vfio-pci driver is not loaded', {
        details: { file: join(this.config.sysfs_root, 'bus', 'pci', 'drivers', VFIO_PCI) }, hint: 'Run modprobe vfio-pci',
      });
    }
    this.attached = true;
    try {
      for (const fn of functions) await this.bind(fn);
    } catch (err) {
      await this.restoreAll().catch((restoreErr: unknown) => {
        this.logger.error('a PCI function could not be given back after a failed attach; the journal keeps it', { err: restoreErr });
      });
      this.attached = false;
      throw err;
    }
    const devices: VmDevice[] = this.bindings.map((b, n) => ({ kind: 'vfio', id: `vfio${n}`, pciAddress: b.record.pciAddress }));
    const interfaces: GuestInterface[] = found.interfaces.map((i) => ({ name: i.name, mac: i.mac, mtu: i.mtu, addresses: i.addresses }));
    this.logger.info('PCI functions bound to vfio-pci', { functions: this.bindings.map((b) => `${b.record.interface}=${b.record.pciAddress}`) });
    return { devices, interfaces, routes: found.routes, neighbors: found.neighbors };
  }

  /** Gives every function back to its original driver, newest first, completing each journal entry. Idempotent. */
  async detach(): Promise<void> {
    await this.restoreAll();
    this.attached = false;
  }

  private async bind(fn: PciFunction): Promise<void> {
    const record: SriovBindingRecord = {
      interface: fn.interface, pciAddress: fn.address, iommuGroup: fn.iommuGroup ?? '', sysfsRoot: this.config.sysfs_root,
      ...(fn.driver === undefined ? {} : { originalDriver: fn.driver }),
    };
    const entry = await this.sandbox.journal.record(SRIOV_BINDING, PLUGIN_ID, `${fn.interface} ${fn.address} to vfio-pci`, { ...record });
    this.bindings.push({ seq: entry.seq, record });
    await bindToVfio(record, { verify: this.config.verify_binding, logger: this.logger });
    if (!(await waitForGroupNode(this.config.dev_root, record.iommuGroup, GROUP_NODE_WAIT_MS))) {
      const node = join(this.config.dev_root, 'vfio', record.iommuGroup);
      throw SriovErrors.NETWORK_SRIOV_VFIO_GROUP.create(`The VFIO group node of PCI function ${fn.address} (interface ${fn.interface}) did not appear`, {
        details: { interface: fn.interface, pciAddress: fn.address, iommuGroup: record.iommuGroup, file: node },
        hint: 'Check that devtmpfs is mounted on dev_root and the kernel log (dmesg) for vfio errors',
      });
    }
  }

  /** Restores every binding left, newest first; a failed one stays (in the list and the journal) and the first failure is thrown. */
  private async restoreAll(): Promise<void> {
    let first: unknown;
    for (const b of [...this.bindings].reverse()) {
      try {
        await restoreHostDriver(b.record, { verify: this.config.verify_binding, logger: this.logger });
        await this.sandbox.journal.complete(b.seq);
        this.bindings.splice(this.bindings.indexOf(b), 1);
      } catch (err) {
        this.logger.warn('PCI function could not be given back to its driver', { pciAddress: b.record.pciAddress, err });
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}
