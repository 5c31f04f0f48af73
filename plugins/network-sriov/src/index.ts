// SPDX-License-Identifier: Apache-2.0
import plugin from './plugin';

export { SriovNetworkDriver } from './sriov-network-driver';
export { SriovBindingUndo } from './sriov-binding-undo';
export { SRIOV_BINDING, bindingRecordFromEntry } from './sriov-binding-state';
export type { SriovBindingRecord } from './sriov-binding-state';
export { VFIO_PCI, bindToVfio, restoreHostDriver, vfioDriverLoaded, waitForGroupNode } from './vfio-binding';
export type { BindingOptions } from './vfio-binding';
export { checkPassable, findPciFunction, pciDeviceDir } from './pci-function';
export type { PciFunction } from './pci-function';
export { IFLA_PARENT_DEV_BUS_NAME, IFLA_PARENT_DEV_NAME, readLinkParents } from './link-parents';
export type { LinkParent } from './link-parents';
export { VfioHostCheck, defaultModulesDir } from './vfio-host-check';
export { resolveSriovConfig } from './sriov-config';
export type { SriovConfig } from './sriov-config';
export { SriovErrors } from './sriov-errors';
export { PCI_ADDRESS } from './sysfs-file';
export default plugin;
