// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: a sysfs tree in a temp folder shaped like the kernel's for PCI network functions (there is no
 * SR-IOV hardware to test on). Attributes the kernel acts on (`bind`, `unbind`, `driver_override`) are plain
 * files: they keep the last value written and never move the `driver` link, so tests read back what the
 * plugin wrote and run it with `verify_binding = false`.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FakeFunction {
  address: string;
  /** The driver bound now (its folder is made too). */
  driver?: string;
  /** The physical function's address: makes this a VF (`physfn` link). */
  physfn?: string;
  /** Makes this an SR-IOV capable PF (`sriov_totalvfs`). */
  totalVfs?: number;
  iommuGroup?: string;
  /** The netdev in `class/net` (with its MAC in `address`). */
  netdev?: { name: string; mac: string };
  /** Leave `driver_override` out (a write to it then fails with ENOENT). */
  noDriverOverride?: boolean;
}

export class FakeSysfs {
  readonly sysfsRoot: string;
  readonly devRoot: string;

  private constructor(readonly root: string) {
    this.sysfsRoot = path.join(root, 'sys');
    this.devRoot = path.join(root, 'dev');
  }

  static async create(): Promise<FakeSysfs> {
    const f = new FakeSysfs(await fs.mkdtemp(path.join(os.tmpdir(), 'cella-sriov-sysfs-')));
    for (const dir of ['bus/pci/drivers', 'bus/pci/devices', 'class/net', 'devices/pci0000:00', 'kernel/iommu_groups']) {
      await fs.mkdir(path.join(f.sysfsRoot, dir), { recursive: true });
    }
    await fs.mkdir(path.join(f.devRoot, 'vfio'), { recursive: true });
    return f;
  }

  /** A path below the fake sysfs root. */
  sys(...parts: string[]): string {
    return path.join(this.sysfsRoot, ...parts);
  }

  /** `bus/pci/drivers/<name>` with empty `bind` and `unbind` files. */
  async addDriver(name: string): Promise<void> {
    const dir = this.sys('bus/pci/drivers', name);
    await fs.mkdir(dir, { recursive: true });
    for (const f of ['bind', 'unbind']) await fs.writeFile(path.join(dir, f), '', { flag: 'a' });
  }

  async addFunction(fn: FakeFunction): Promise<void> {
    const rel = `devices/pci0000:00/${fn.address}`;
    const dir = this.sys(rel);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'vendor'), '0x8086\n');
    if (!fn.noDriverOverride) await fs.writeFile(path.join(dir, 'driver_override'), '(null)\n');
    await fs.symlink(`../../../${rel}`, this.sys('bus/pci/devices', fn.address));
    if (fn.driver !== undefined) {
      await this.addDriver(fn.driver);
      await fs.symlink(`../../../bus/pci/drivers/${fn.driver}`, path.join(dir, 'driver'));
    }
    if (fn.physfn !== undefined) await fs.symlink(`../${fn.physfn}`, path.join(dir, 'physfn'));
    if (fn.totalVfs !== undefined) await fs.writeFile(path.join(dir, 'sriov_totalvfs'), `${fn.totalVfs}\n`);
    if (fn.iommuGroup !== undefined) {
      const group = this.sys('kernel/iommu_groups', fn.iommuGroup, 'devices');
      await fs.mkdir(group, { recursive: true });
      await fs.symlink(`../../../../${rel}`, path.join(group, fn.address));
      await fs.symlink(`../../../kernel/iommu_groups/${fn.iommuGroup}`, path.join(dir, 'iommu_group'));
    }
    if (fn.netdev !== undefined) {
      const net = this.sys('class/net', fn.netdev.name);
      await fs.mkdir(net, { recursive: true });
      await fs.writeFile(path.join(net, 'address'), `${fn.netdev.mac}\n`);
      await fs.symlink(`../../../${rel}`, path.join(net, 'device'));
    }
  }

  /** A netdev with no device behind it (what a veth looks like in sysfs). */
  async addVirtualNetdev(name: string, mac: string): Promise<void> {
    const net = this.sys('class/net', name);
    await fs.mkdir(net, { recursive: true });
    await fs.writeFile(path.join(net, 'address'), `${mac}\n`);
  }

  /** The `<dev_root>/vfio/<group>` node devtmpfs would make when vfio-pci takes the group. */
  async addGroupNode(group: string): Promise<void> {
    await fs.writeFile(path.join(this.devRoot, 'vfio', group), '');
  }

  /** What a sysfs file holds now, or undefined if it does not exist. */
  async read(...parts: string[]): Promise<string | undefined> {
    return fs.readFile(this.sys(...parts), 'utf8').catch(() => undefined);
  }

  /** Every regular file below sysfs with its content, for "nothing was written" checks. */
  async snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const walk = async (dir: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out[path.relative(this.sysfsRoot, p)] = await fs.readFile(p, 'utf8');
      }
    };
    await walk(this.sysfsRoot);
    return out;
  }

  async remove(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
