// SPDX-License-Identifier: Apache-2.0
import { GUEST_ROOT_SERIAL, type AgentChannel, type VmDevice, type VmSpec } from '@cella/core';
import type { QemuMachine } from './qemu-config';
import { blockNodeName, escapeOptionValue, qemuOption } from './qemu-option';
import { checkVmSpec } from './qemu-spec-check';

export interface QemuArgsOptions {
  machine: QemuMachine;
  accel: 'kvm' | 'tcg';
  /** `-cpu`; unset: `host` under KVM, `max` under TCG. */
  cpuModel?: string;
  qmpSocket: string;
  pidFile: string;
  extraArgs: string[];
  /** Appended after the spec's parameters and `console=ttyS0`. */
  kernelParams: string[];
  /** True when a disk path is a block device (opened with `host_device`); default: under /dev/. */
  isHostDevice?: (path: string) => boolean;
  /** Guest RAM as a shared memfd even without a virtio-fs device (a VM template: one may be hot-plugged later). */
  sharedMemory?: boolean;
}

/** Ids of the empty PCIe root ports a q35 VM gets for hot-plugged devices. */
export const HOTPLUG_PORTS: readonly string[] = ['cella-hp0', 'cella-hp1', 'cella-hp2', 'cella-hp3'];
/** Device id of the virtio-scsi controller all scsi disks hang off. */
export const SCSI_CONTROLLER_ID = 'cella-scsi';
export const ROOT_DISK_ID = 'cella-root';

/** QEMU device model names per machine: PCI on q35, virtio-mmio on microvm. */
export function virtioModel(machine: QemuMachine, kind: 'blk' | 'scsi' | 'fs' | 'net' | 'serial' | 'vsock'): string {
  const base = { blk: 'virtio-blk', scsi: 'virtio-scsi', fs: 'vhost-user-fs', net: 'virtio-net', serial: 'virtio-serial', vsock: 'vhost-vsock' }[kind];
  return `${base}-${machine === 'q35' ? 'pci' : 'device'}`;
}

const defaultIsHostDevice = (path: string): boolean => path.startsWith('/dev/');

/** The `-blockdev` node of a disk; shared by the command line and hot-plug (`blockdev-add` takes the same shape). */
export function blockdevFor(disk: { id: string; path: string; readOnly: boolean; format: 'raw' | 'qcow2' }, hostDevice: boolean): Record<string, unknown> {
  return {
    'node-name': blockNodeName(disk.id),
    driver: disk.format,
    'read-only': disk.readOnly,
    file: { driver: hostDevice ? 'host_device' : 'file', filename: disk.path, 'read-only': disk.readOnly },
  };
}

/** A `blockdevFor` node as a `-blockdev` option string. */
export function blockdevArg(node: Record<string, unknown>): string {
  const file = node.file as Record<string, unknown>;
  return qemuOption(undefined, {
    'node-name': node['node-name'] as string,
    driver: node.driver as string,
    'read-only': node['read-only'] as boolean,
    'file.driver': file.driver as string,
    'file.filename': file.filename as string,
    'file.read-only': file['read-only'] as boolean,
  });
}

/** The guest image as a read-only raw virtio-blk disk with serial GUEST_ROOT_SERIAL. */
export function rootDiskArgs(machine: QemuMachine, image: string, hostDevice: boolean): string[] {
  const root = { kind: 'block', id: ROOT_DISK_ID, path: image, readOnly: true, format: 'raw', driver: 'virtio-blk', serial: GUEST_ROOT_SERIAL } as const;
  return ['-blockdev', blockdevArg(blockdevFor(root, hostDevice)), ...deviceArg(diskDeviceProps(machine, root))];
}

/** The `device_add`/`-device` properties of a disk; `bus` is set for hot-plug. */
export function diskDeviceProps(machine: QemuMachine, disk: Extract<VmDevice, { kind: 'block' }>, bus?: string): Record<string, string> {
  const props: Record<string, string> = disk.driver === 'virtio-scsi'
    ? { driver: 'scsi-hd', id: disk.id, drive: blockNodeName(disk.id), serial: disk.serial, bus: `${SCSI_CONTROLLER_ID}.0` }
    : { driver: virtioModel(machine, 'blk'), id: disk.id, drive: blockNodeName(disk.id), serial: disk.serial };
  if (bus !== undefined && disk.driver === 'virtio-blk') props.bus = bus;
  return props;
}

function deviceArg(props: Record<string, string | number | boolean | undefined>): string[] {
  const { driver, ...rest } = props;
  return ['-device', qemuOption(String(driver), rest)];
}

type Nic = Extract<VmDevice, { kind: 'net' }>;

/** The host side of a NIC (`-netdev tap`): not part of the guest's state, so a restored VM gets it on its command line. */
export function netBackendArgs(device: Nic): string[] {
  const backend = device.fds !== undefined
    ? (device.fds.length > 1 ? { fds: device.fds.join(':') } : { fd: device.fds[0] })
    : { ifname: device.ifname, script: 'no', downscript: 'no', queues: device.queues > 1 ? device.queues : undefined };
  // vhost=off: these hosts have no /dev/vhost-net.
  return ['-netdev', qemuOption('tap', { id: `nd-${device.id}`, ...backend, vhost: false })];
}

/** The `-device`/`device_add` properties of a NIC on its backend; `bus` is set for hot-plug. */
export function nicDeviceProps(machine: QemuMachine, device: Nic, bus?: string): Record<string, string | number | boolean | undefined> {
  const multiqueue = device.queues > 1;
  return {
    driver: virtioModel(machine, 'net'), id: device.id, netdev: `nd-${device.id}`, mac: device.mac.toLowerCase(), host_mtu: device.mtu,
    // No iPXE option ROM: the VM boots a kernel directly and the ROM only costs boot time.
    romfile: machine === 'q35' ? '' : undefined,
    mq: multiqueue ? true : undefined,
    // One vector per rx and tx queue, plus config and control: MSI-X exists on PCI only.
    vectors: multiqueue && machine === 'q35' ? 2 * device.queues + 2 : undefined,
    bus,
  };
}

/** The `-device`/`device_add` properties of a virtio-fs device on its chardev `fs-<id>`; `bus` is set for hot-plug. */
export function fsDeviceProps(machine: QemuMachine, device: Extract<VmDevice, { kind: 'fs' }>, bus?: string): Record<string, string | number | undefined> {
  return { driver: virtioModel(machine, 'fs'), id: device.id, chardev: `fs-${device.id}`, tag: device.tag, 'queue-size': device.queueSize, bus };
}

function deviceArgs(machine: QemuMachine, device: VmDevice, isHostDevice: (p: string) => boolean): string[] {
  switch (device.kind) {
    case 'block':
      return ['-blockdev', blockdevArg(blockdevFor(device, isHostDevice(device.path))), ...deviceArg(diskDeviceProps(machine, device))];
    case 'fs':
      return [
        '-chardev', qemuOption('socket', { id: `fs-${device.id}`, path: device.socketPath }),
        ...deviceArg(fsDeviceProps(machine, device)),
      ];
    case 'net':
      return [...netBackendArgs(device), ...deviceArg(nicDeviceProps(machine, device))];
    case 'vfio':
      return deviceArg({ driver: 'vfio-pci', id: device.id, host: device.pciAddress });
  }
}

function agentArgs(machine: QemuMachine, channel: AgentChannel): string[] {
  if (channel.kind === 'virtio-serial') {
    return [
      '-chardev', qemuOption('socket', { id: 'cella-agent', path: channel.socketPath, server: true, wait: false }),
      ...deviceArg({ driver: virtioModel(machine, 'serial'), id: 'cella-vserial' }),
      ...deviceArg({ driver: 'virtserialport', id: 'cella-agent-port', bus: 'cella-vserial.0', chardev: 'cella-agent', name: channel.name }),
    ];
  }
  // checkVmSpec has refused hybrid-vsock already.
  return deviceArg({ driver: virtioModel(machine, 'vsock'), id: 'cella-vsock', 'guest-cid': (channel as { cid: number }).cid });
}

/**
 * The QEMU command line (without the binary) for a VM spec. Pure: reads no files.
 * Throws E_HYPERVISOR_SPEC naming the field when the spec cannot be expressed,
 * E_HYPERVISOR_UNSUPPORTED_CHANNEL for hybrid vsock.
 * Net `fds` are the numbers as QEMU will see them (the caller maps its own fds into the child).
 */
export function buildQemuArgs(spec: VmSpec, opts: QemuArgsOptions): string[] {
  checkVmSpec(spec, opts.machine);
  const isHostDevice = opts.isHostDevice ?? defaultIsHostDevice;
  const q35 = opts.machine === 'q35';
  const machineProps = q35 ? {} : { acpi: false, 'x-option-roms': false };
  const hasFs = spec.devices.some((d) => d.kind === 'fs') || opts.sharedMemory === true;
  const args: string[] = [
    '-name', escapeOptionValue(`cella-${spec.sandboxId}`),
    '-machine', qemuOption(opts.machine, { accel: opts.accel, ...machineProps, 'memory-backend': hasFs && !q35 ? 'cella-mem' : undefined }),
    '-cpu', opts.cpuModel ?? (opts.accel === 'kvm' ? 'host' : 'max'),
    '-smp', String(spec.vcpus),
    '-m', `${spec.memoryMiB}M`,
    '-nodefaults', '-no-user-config', '-nographic', '-display', 'none',
    // A guest reboot ends the VM: the runtime decides what happens next.
    '-no-reboot',
    '-kernel', spec.kernel,
  ];
  if (spec.initrd !== undefined) args.push('-initrd', spec.initrd);
  args.push('-append', [...spec.kernelParams, 'console=ttyS0', ...opts.kernelParams].join(' '));
  args.push('-chardev', qemuOption('file', { id: 'cella-console', path: spec.consoleLog }), '-serial', 'chardev:cella-console');
  args.push('-qmp', qemuOption(`unix:${escapeOptionValue(opts.qmpSocket)}`, { server: true, wait: false }));
  args.push('-pidfile', opts.pidFile);
  if (hasFs) {
    // vhost-user-fs needs guest RAM that virtiofsd can map: a shared memfd.
    args.push('-object', qemuOption('memory-backend-memfd', { id: 'cella-mem', size: `${spec.memoryMiB}M`, share: true }));
    if (q35) args.push('-numa', 'node,memdev=cella-mem');
  }
  if (spec.image !== undefined) args.push(...rootDiskArgs(opts.machine, spec.image, isHostDevice(spec.image)));
  if (spec.devices.some((d) => d.kind === 'block' && d.driver === 'virtio-scsi')) {
    args.push(...deviceArg({ driver: virtioModel(opts.machine, 'scsi'), id: SCSI_CONTROLLER_ID }));
  }
  for (const device of spec.devices) args.push(...deviceArgs(opts.machine, device, isHostDevice));
  args.push(...agentArgs(opts.machine, spec.agentChannel));
  if (q35) {
    HOTPLUG_PORTS.forEach((id, i) => args.push(...deviceArg({ driver: 'pcie-root-port', id, bus: 'pcie.0', chassis: i + 1 })));
  }
  args.push(...opts.extraArgs);
  return args;
}
