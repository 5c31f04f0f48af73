// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { HostCheck, HostCheckResult } from '@cella/core';
import { resolveSriovConfig, type SriovConfig } from './sriov-config';
import { vfioDriverLoaded } from './vfio-binding';

/** Where modprobe looks for modules of the running kernel. */
export function defaultModulesDir(): string {
  return join('/lib/modules', release());
}

/** A modules.dep / modules.builtin line for vfio-pci (`kernel/drivers/vfio/pci/vfio-pci.ko.xz:`), compressed or not. */
const VFIO_PCI_MODULE = /(^|\/)vfio-pci\.ko(\.[a-z0-9]+)?(:|$)/m;

/**
 * The `cella check` lines of the SR-IOV plugin, informational (warn, never fail: a host without SR-IOV may
 * still load the plugin): whether the vfio-pci driver is loaded or can be loaded, and whether the IOMMU made
 * any groups.
 */
export class VfioHostCheck implements HostCheck {
  private readonly config: SriovConfig;

  constructor(config: Partial<SriovConfig>, private readonly modulesDir: string = defaultModulesDir()) {
    this.config = resolveSriovConfig(config);
  }

  async run(): Promise<HostCheckResult[]> {
    return [await this.vfioPci(), await this.iommu()];
  }

  private async vfioPci(): Promise<HostCheckResult> {
    const name = 'vfio-pci';
    const driverDir = join(this.config.sysfs_root, 'bus', 'pci', 'drivers', 'vfio-pci');
    if (await vfioDriverLoaded(this.config.sysfs_root)) return { name, status: 'pass', detail: `vfio-pci driver loaded (${driverDir})` };
    const dep = await fs.readFile(join(this.modulesDir, 'modules.dep'), 'utf8').catch(() => '');
    if (VFIO_PCI_MODULE.test(dep)) {
      return { name, status: 'warn', detail: `vfio-pci is not loaded but can be: run modprobe vfio-pci before an SR-IOV sandbox starts` };
    }
    return { name, status: 'warn', detail: `vfio-pci is neither loaded (${driverDir}) nor in ${this.modulesDir}: SR-IOV attach will fail` };
  }

  private async iommu(): Promise<HostCheckResult> {
    const name = 'iommu';
    const groupsDir = join(this.config.sysfs_root, 'kernel', 'iommu_groups');
    const groups = await fs.readdir(groupsDir).catch(() => [] as string[]);
    if (groups.length > 0) return { name, status: 'pass', detail: `${groups.length} IOMMU groups (${groupsDir})` };
    return { name, status: 'warn', detail: `no IOMMU groups in ${groupsDir}: turn the IOMMU on (intel_iommu=on or amd_iommu=on) for VFIO` };
  }
}
