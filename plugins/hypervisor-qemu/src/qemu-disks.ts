// SPDX-License-Identifier: Apache-2.0
import { closeSync, openSync, promises as fs } from 'node:fs';
import type { Logger, VmDevice } from '@cella/core';
import { connectUnixFd } from '@cella/core/process';
import { blockdevFor, diskDeviceProps, fsDeviceProps, HOTPLUG_PORTS, nicDeviceProps, SCSI_CONTROLLER_ID, virtioModel } from './qemu-command-line';
import type { QemuMachine } from './qemu-config';
import { QemuErrors } from './qemu-errors';
import { blockNodeName, type OptionValue } from './qemu-option';
import { checkVmDevice, specProblem } from './qemu-spec-check';
import type { QmpClient } from './qmp-client';

type Disk = Extract<VmDevice, { kind: 'block' }>;

/** How long the guest may take to release an unplugged device (slow under TCG). */
const UNPLUG_TIMEOUT_MS = 30_000;
/** Fd sets of hot-plugged disks are numbered from here (the command line's start at 1). */
const FIRST_HOTPLUG_FDSET = 1000;

/**
 * Block hot-plug on a running q35 VM: `blockdev-add` + `device_add` on a free PCIe root port, and back
 * with `device_del` (waiting for the guest to release it: DEVICE_DELETED) + `blockdev-del`.
 */
export class QemuDisks {
  /** Every device id in the VM, cold- or hot-plugged; disks with the port they hold. */
  private readonly devices = new Map<string, { disk?: Disk; port?: string; fdSet?: number }>();
  private nextFdSet = FIRST_HOTPLUG_FDSET;
  private readonly freePorts = [...HOTPLUG_PORTS];
  private scsiController: boolean;

  constructor(private readonly qmp: QmpClient, private readonly machine: QemuMachine, coldPlugged: readonly VmDevice[], private readonly logger: Logger) {
    for (const d of coldPlugged) this.devices.set(d.id, d.kind === 'block' ? { disk: d } : {});
    this.scsiController = coldPlugged.some((d) => d.kind === 'block' && d.driver === 'virtio-scsi');
  }

  async add(device: VmDevice): Promise<void> {
    if (this.machine !== 'q35') {
      throw QemuErrors.HYPERVISOR_HOTPLUG.create('This machine type cannot hot-plug devices.', { details: { machine: this.machine }, hint: 'Use machine = "q35".' });
    }
    if (device.kind !== 'block') {
      throw QemuErrors.HYPERVISOR_HOTPLUG.create('Only block devices can be hot-plugged.', { details: { kind: device.kind, id: device.id } });
    }
    this.checkNew(device);
    if (device.driver === 'virtio-scsi' && !this.scsiController) {
      await this.onFreePort((port) => this.qmp.execute('device_add', { driver: virtioModel(this.machine, 'scsi'), id: SCSI_CONTROLLER_ID, bus: port }));
      this.scsiController = true;
    }
    const hostDevice = (await fs.stat(device.path).catch(() => undefined))?.isBlockDevice() ?? false;
    const fdSet = await this.passDisk(device);
    const plug = async (port?: string): Promise<void> => {
      await this.qmp.execute('blockdev-add', blockdevFor({ ...device, path: `/dev/fdset/${fdSet}` }, hostDevice));
      try {
        await this.qmp.execute('device_add', diskDeviceProps(this.machine, device, port));
      } catch (err) {
        await this.qmp.execute('blockdev-del', { 'node-name': blockNodeName(device.id) }).catch(() => undefined);
        throw err;
      }
    };
    // A virtio-blk disk takes a port of its own; a SCSI disk hangs off the controller.
    let port: string | undefined;
    try {
      if (device.driver === 'virtio-blk') port = await this.onFreePort(plug);
      else await plug();
    } catch (err) {
      await this.qmp.execute('remove-fd', { 'fdset-id': fdSet }).catch(() => undefined);
      throw err;
    }
    this.devices.set(device.id, { disk: device, port, fdSet });
    this.logger.info('Disk hot-plugged', { id: device.id, driver: device.driver, readOnly: device.readOnly });
  }

  /**
   * A NIC whose backend (`-netdev`) is already on QEMU's command line: its frontend is added on a free port (a VM
   * restored from a template gets its sandbox's NICs this way). It stays until the VM ends.
   */
  async addNic(device: Extract<VmDevice, { kind: 'net' }>): Promise<void> {
    this.checkNew(device);
    const port = await this.onFreePort((p) => this.qmp.execute('device_add', definedProps(nicDeviceProps(this.machine, device, p))));
    this.devices.set(device.id, { port });
    this.logger.info('NIC hot-plugged', { id: device.id, queues: device.queues });
  }

  /**
   * A virtio-fs device (its virtiofsd listening already) on a free port: the chardev to virtiofsd, then the device.
   * The VM's RAM must be a shared memfd (a VM template's is). It stays until the VM ends.
   */
  async addFs(device: Extract<VmDevice, { kind: 'fs' }>): Promise<void> {
    this.checkNew(device);
    const chardev = `fs-${device.id}`;
    const port = await this.onFreePort(async (p) => {
      // Connected here and handed over (`getfd`), so that an unprivileged QEMU needs no right on the socket.
      const fd = connectUnixFd(device.socketPath);
      try {
        await this.qmp.execute('getfd', { fdname: chardev }, { fd });
      } finally {
        closeSync(fd);
      }
      await this.qmp.execute('chardev-add', { id: chardev, backend: { type: 'socket', data: { addr: { type: 'fd', data: { str: chardev } }, server: false } } });
      try {
        await this.qmp.execute('device_add', definedProps(fsDeviceProps(this.machine, device, p)));
      } catch (err) {
        await this.qmp.execute('chardev-remove', { id: chardev }).catch(() => undefined);
        throw err;
      }
    });
    this.devices.set(device.id, { port });
    this.logger.info('virtio-fs device hot-plugged', { id: device.id, tag: device.tag });
  }

  /**
   * Opens the disk here (QEMU may run unprivileged: docs/adr/0012) and hands it over as a new fd set (`add-fd`);
   * returns the set's id, which QEMU opens as `/dev/fdset/<id>`.
   */
  private async passDisk(device: Disk): Promise<number> {
    const fdSet = this.nextFdSet++;
    const fd = openSync(device.path, device.readOnly ? 'r' : 'r+');
    try {
      await this.qmp.execute('add-fd', { 'fdset-id': fdSet, opaque: device.id }, { fd });
    } finally {
      closeSync(fd);
    }
    return fdSet;
  }

  /** A device about to be added: valid for this machine, and its id not taken. */
  private checkNew(device: VmDevice): void {
    checkVmDevice(device, 'device', this.machine);
    if (this.devices.has(device.id)) specProblem('device.id', 'is used by another device', device.id);
  }

  /** Runs `plug` with a free hot-plug port and returns the port; the port is free again when `plug` throws. */
  private async onFreePort(plug: (port: string) => Promise<unknown>): Promise<string> {
    const port = this.takePort();
    try {
      await plug(port);
    } catch (err) {
      this.freePorts.unshift(port);
      throw err;
    }
    return port;
  }

  async remove(deviceId: string): Promise<void> {
    const entry = this.devices.get(deviceId);
    if (!entry?.disk) {
      throw QemuErrors.HYPERVISOR_DEVICE_NOT_FOUND.create('No disk with this id is attached to the VM.', { details: { id: deviceId } });
    }
    // Arm the wait before the command: the event may come before device_del's reply.
    const deleted = this.qmp.waitForEvent('DEVICE_DELETED', (data) => data.device === deviceId, UNPLUG_TIMEOUT_MS);
    deleted.catch(() => undefined);
    await this.qmp.execute('device_del', { id: deviceId });
    try {
      await deleted;
    } catch (err) {
      throw QemuErrors.HYPERVISOR_TIMEOUT.create('The guest did not release the disk.', {
        cause: err,
        details: { id: deviceId, timeoutMs: UNPLUG_TIMEOUT_MS },
        hint: 'The guest kernel must handle PCIe/ACPI hot-unplug; the disk stays attached.',
      });
    }
    await this.qmp.execute('blockdev-del', { 'node-name': blockNodeName(deviceId) });
    if (entry.fdSet !== undefined) await this.qmp.execute('remove-fd', { 'fdset-id': entry.fdSet }).catch(() => undefined);
    this.devices.delete(deviceId);
    if (entry.port) this.freePorts.push(entry.port);
    this.logger.info('Disk unplugged', { id: deviceId });
  }

  private takePort(): string {
    const port = this.freePorts.shift();
    if (!port) {
      throw QemuErrors.HYPERVISOR_HOTPLUG.create('Every hot-plug port of the VM is in use.', { details: { ports: HOTPLUG_PORTS.length } });
    }
    return port;
  }
}

/** QMP `device_add` arguments: the properties that are set (the command line builder skips the rest the same way). */
function definedProps(props: Record<string, OptionValue>): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(props).filter((e): e is [string, string | number | boolean] => e[1] !== undefined));
}
