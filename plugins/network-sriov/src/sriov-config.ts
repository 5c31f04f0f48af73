// SPDX-License-Identifier: Apache-2.0

/** Options of `[plugins."network.sriov"]` (schema/config.schema.json). */
export interface SriovConfig {
  /** Where sysfs is mounted (`/sys`); tests point it at a fake tree. */
  sysfs_root: string;
  /** Where device nodes live (`/dev`): the VFIO group node is `<dev_root>/vfio/<group>`. */
  dev_root: string;
  /** Accept a PCI function that is not an SR-IOV virtual function (the whole NIC goes to the VM). */
  allow_physical_function: boolean;
  /**
   * Read `<device>/driver` back after each bind and fail unless it names the expected driver. Tests on a
   * fake sysfs turn it off: plain files do not move the link the way the kernel does.
   */
  verify_binding: boolean;
}

/** The config with the schema's defaults filled in (the loader fills them too; tests and checks may not). */
export function resolveSriovConfig(config: Partial<SriovConfig>): SriovConfig {
  return {
    sysfs_root: config.sysfs_root ?? '/sys',
    dev_root: config.dev_root ?? '/dev',
    allow_physical_function: config.allow_physical_function ?? false,
    verify_binding: config.verify_binding ?? true,
  };
}
