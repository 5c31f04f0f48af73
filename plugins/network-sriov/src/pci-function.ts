// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import type { GuestInterface } from '@cella/core';
import type { LinkParent } from './link-parents';
import { SriovErrors } from './sriov-errors';
import { PCI_ADDRESS, entryExists, linkName, readAttribute } from './sysfs-file';

/** What sysfs says about the PCI function behind one pod interface. */
export interface PciFunction {
  interface: string;
  /** `0000:03:02.1`. */
  address: string;
  /** `<sysfs_root>/bus/pci/devices/<address>`. */
  dir: string;
  /** The physical function's address when this is an SR-IOV virtual function (`physfn` link). */
  physfn: string | undefined;
  /** The driver bound now (`driver` link), if any. */
  driver: string | undefined;
  /** The IOMMU group (`iommu_group` link), if any. */
  iommuGroup: string | undefined;
}

/** The folder of a PCI function in sysfs. */
export function pciDeviceDir(sysfsRoot: string, address: string): string {
  return join(sysfsRoot, 'bus', 'pci', 'devices', address);
}

/**
 * Finds the PCI function behind `iface`: from the parent device netlink reported for it in its namespace
 * when there is one (`parent`), else from `<sysfs_root>/class/net/<name>/device`, whose `address` must then
 * hold the interface's MAC (so a host link of the same name is never taken for it). Reads only.
 * Throws E_NETWORK_SRIOV_NOT_PCI (a virtual link, another bus), E_NETWORK_SRIOV_SYSFS.
 */
export async function findPciFunction(sysfsRoot: string, iface: Pick<GuestInterface, 'name' | 'mac'>, parent: LinkParent | undefined): Promise<PciFunction> {
  const name = iface.name;
  let address: string;
  if (parent !== undefined) {
    if (parent.bus !== 'pci') {
      throw SriovErrors.NETWORK_SRIOV_NOT_PCI.create(`Interface ${name} is not a PCI function`, {
        details: { interface: name, bus: parent.bus, device: parent.device },
        hint: 'Only PCI functions (SR-IOV VFs) can be passed through; use network.tap for other links',
      });
    }
    address = parent.device;
  } else {
    address = await addressFromClassNet(sysfsRoot, iface);
  }
  const dir = pciDeviceDir(sysfsRoot, address);
  if (!PCI_ADDRESS.test(address) || !(await entryExists(dir))) {
    throw SriovErrors.NETWORK_SRIOV_NOT_PCI.create(`Interface ${name} is not a PCI function`, {
      details: { interface: name, device: address, file: dir },
      hint: 'Only PCI functions (SR-IOV VFs) can be passed through; use network.tap for other links',
    });
  }
  const where = { interface: name, pciAddress: address };
  return {
    interface: name, address, dir,
    physfn: await linkName(join(dir, 'physfn'), where),
    driver: await linkName(join(dir, 'driver'), where),
    iommuGroup: await linkName(join(dir, 'iommu_group'), where),
  };
}

async function addressFromClassNet(sysfsRoot: string, iface: Pick<GuestInterface, 'name' | 'mac'>): Promise<string> {
  const netdev = join(sysfsRoot, 'class', 'net', iface.name);
  const deviceLink = join(netdev, 'device');
  if (!(await entryExists(deviceLink))) {
    throw SriovErrors.NETWORK_SRIOV_NOT_PCI.create(`Interface ${iface.name} has no PCI device`, {
      details: { interface: iface.name, file: deviceLink },
      hint: 'It is a virtual link (veth, bridge, …): give the pod an SR-IOV VF (SR-IOV CNI), or use network.tap',
    });
  }
  const addressFile = join(netdev, 'address');
  const sysfsMac = await readAttribute(addressFile, { interface: iface.name });
  if (sysfsMac?.toLowerCase() !== iface.mac.toLowerCase()) {
    throw SriovErrors.NETWORK_SRIOV_NOT_PCI.create(`Interface ${iface.name} cannot be matched to its sysfs entry`, {
      details: { interface: iface.name, mac: iface.mac, sysfsMac, file: addressFile },
      hint: 'sysfs lists the links of the namespace it was mounted in; Linux 5.15 or later names the PCI device over netlink instead',
    });
  }
  try {
    return basename(await fs.realpath(deviceLink));
  } catch (err) {
    throw SriovErrors.NETWORK_SRIOV_SYSFS.create(`The device link of interface ${iface.name} cannot be resolved`, {
      cause: err, details: { interface: iface.name, file: deviceLink, errno: (err as NodeJS.ErrnoException).code },
    });
  }
}

/**
 * Refuses a function VFIO cannot take or the config does not allow: a physical function unless
 * `allowPhysicalFunction`, a function without an IOMMU group. Throws E_NETWORK_SRIOV_NOT_VF, E_NETWORK_SRIOV_NO_IOMMU.
 */
export function checkPassable(fn: PciFunction, allowPhysicalFunction: boolean): void {
  const details = { interface: fn.interface, pciAddress: fn.address, file: join(fn.dir, 'physfn') };
  if (fn.physfn === undefined && !allowPhysicalFunction) {
    throw SriovErrors.NETWORK_SRIOV_NOT_VF.create(`Interface ${fn.interface} (${fn.address}) is a physical function, not an SR-IOV virtual function`, {
      details, hint: 'Give the pod a VF (SR-IOV CNI), or set allow_physical_function = true to hand the whole NIC to the VM',
    });
  }
  if (fn.iommuGroup === undefined) {
    throw SriovErrors.NETWORK_SRIOV_NO_IOMMU.create(`PCI function ${fn.address} of interface ${fn.interface} has no IOMMU group`, {
      details: { ...details, file: join(fn.dir, 'iommu_group') },
      hint: 'Turn the IOMMU on in the host kernel command line (intel_iommu=on or amd_iommu=on)',
    });
  }
}
