// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/**
 * Error codes of the SR-IOV network plugin. `details` name the interface, the PCI address and the sysfs file
 * at fault; a failed sysfs write carries the kernel's errno name in `details.errno`.
 */
export const SriovErrors = defineErrorCodes('network.sriov', {
  /** The interface is not backed by a PCI function (a veth, a bridge, a device on another bus). */
  NETWORK_SRIOV_NOT_PCI: 'FailedPrecondition',
  /** The PCI function is a physical function and `allow_physical_function` is off. */
  NETWORK_SRIOV_NOT_VF: 'FailedPrecondition',
  /** The PCI function has no IOMMU group (the IOMMU is off), so VFIO cannot take it. */
  NETWORK_SRIOV_NO_IOMMU: 'FailedPrecondition',
  /** The vfio-pci driver is not loaded. */
  NETWORK_SRIOV_VFIO_DRIVER: 'Unavailable',
  /** A sysfs file could not be read or written. */
  NETWORK_SRIOV_SYSFS: 'Internal',
  /** After the bind the function is not bound to vfio-pci (`verify_binding`). */
  NETWORK_SRIOV_BIND: 'Internal',
  /** The VFIO group device node did not appear after the bind. */
  NETWORK_SRIOV_VFIO_GROUP: 'Unavailable',
  /** The function could not be given back to its original driver. */
  NETWORK_SRIOV_RESTORE: 'Internal',
  /** `attach` was called on a driver that is attached already. */
  NETWORK_SRIOV_ATTACHED: 'FailedPrecondition',
  /** A journal entry of type `sriov-binding` holds data this plugin cannot act on. */
  NETWORK_SRIOV_JOURNAL: 'Internal',
});
