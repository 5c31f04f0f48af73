// SPDX-License-Identifier: Apache-2.0
import { GUEST_ROOT_SERIAL, type AgentChannel, type VmDevice, type VmSpec } from '@cella/core';
import type { QemuMachine } from './qemu-config';
import { blockNodeName, escapeOptionValue, qemuOption } from './qemu-option';
import { checkVmSpec, specProblem } from './qemu-spec-check';

export interface QemuArgsOptions {
  machine: QemuMachine;
  accel: 'kvm' | 'tcg';
  /** `-cpu`; unset: `host` under KVM, `max` under TCG. */
  cpuModel?: string;
  /** A QMP server socket QEMU makes itself (needs write access to its folder); `handles.qmpFd` wins. */
  qmpSocket?: string;
  /** `-pidfile` (QEMU writes it itself); unset: none, the runtime knows the pid from spawn. */
  pidFile?: string;
  /** What QEMU gets as inherited fds instead of paths it would open itself (it may run unprivileged: docs/adr/0012). */
  handles?: QemuHandles;
  /** `-sandbox on,…`: QEMU's seccomp filter, denying obsolete calls, privilege changes, fork/exec and resource control. */
  seccompSandbox?: boolean;
  extraArgs: string[];
  /** Appended after the spec's parameters and `console=ttyS0`. */
  kernelParams: string[];
  /** True when a disk path is a block device (opened with `host_device`); default: under /dev/. */
  isHostDevice?: (path: string) => boolean;
  /** Guest RAM as a shared memfd even without a virtio-fs device (a VM template: one may be hot-plugged later). */
  sharedMemory?: boolean;
}

/**
 * Fds (as numbered in QEMU) the runtime opened for QEMU. Every one is optional: what is missing is opened by
 * path as before. `console: 'stdio'` sends the serial console to QEMU's stdout (the runtime bounds the log).
 */
export interface QemuHandles {
  /** A listening unix socket for QMP. */
  qmpFd?: number;
  /** A listening unix socket for the virtio-serial agent channel. */
  agentFd?: number;
  /** A connected socket to virtiofsd per fs device id. */
  fsFds?: ReadonlyMap<string, number>;
  /** An open fd per disk path (the root image, block devices): each becomes an fd set (`-add-fd`), `/dev/fdset/<n>`. */
  diskFds?: ReadonlyMap<string, number>;
  console?: 'stdio';
  /**
   * The kernel and initrd, opened read-only: QEMU reads them through `/proc/self/fd/<n>`, which skips the rights
   * on their folders (a state or test folder may be 0700) but still checks the file's own mode.
   */
  kernelFd?: number;
  initrdFd?: number;
}

/** QEMU's seccomp filter with every optional denial (QEMU >= 2.11). */
export const SECCOMP_SANDBOX = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';

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

/** The host side of a virtio-fs device (`-chardev` to virtiofsd): on a restored VM's command line, as for NICs. */
export function fsBackendArgs(device: Extract<VmDevice, { kind: 'fs' }>, fd?: number): string[] {
  return ['-chardev', qemuOption('socket', { id: `fs-${device.id}`, ...(fd !== undefined ? { fd } : { path: device.socketPath }) })];
}

/** A disk path as QEMU opens it: an fd set when the runtime opened it (`-add-fd` from `fdSetArgs`). */
type DiskFile = (path: string) => string;

function deviceArgs(machine: QemuMachine, device: VmDevice, isHostDevice: (p: string) => boolean, handles: QemuHandles, diskFile: DiskFile): string[] {
  switch (device.kind) {
    case 'block':
      return ['-blockdev', blockdevArg(blockdevFor({ ...device, path: diskFile(device.path) }, isHostDevice(device.path))), ...deviceArg(diskDeviceProps(machine, device))];
    case 'fs':
      return [...fsBackendArgs(device, handles.fsFds?.get(device.id)), ...deviceArg(fsDeviceProps(machine, device))];
    case 'net':
      return [...netBackendArgs(device), ...deviceArg(nicDeviceProps(machine, device))];
    case 'vfio':
      return deviceArg({ driver: 'vfio-pci', id: device.id, host: device.pciAddress });
  }
}

function agentArgs(machine: QemuMachine, channel: AgentChannel, agentFd: number | undefined): string[] {
  if (channel.kind === 'virtio-serial') {
    const at = agentFd !== undefined ? { fd: agentFd } : { path: channel.socketPath };
    return [
      '-chardev', qemuOption('socket', { id: 'cella-agent', ...at, server: true, wait: false }),
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
  const handles = opts.handles ?? {};
  const fdSets = new Map<string, number>();
  const diskFile: DiskFile = (p) => {
    const set = fdSets.get(p);
    return set === undefined ? p : `/dev/fdset/${set}`;
  };
  const args: string[] = [
    '-name', escapeOptionValue(`cella-${spec.sandboxId}`),
    '-machine', qemuOption(opts.machine, { accel: opts.accel, ...machineProps, 'memory-backend': hasFs && !q35 ? 'cella-mem' : undefined }),
    '-cpu', opts.cpuModel ?? (opts.accel === 'kvm' ? 'host' : 'max'),
    '-smp', String(spec.vcpus),
    '-m', `${spec.memoryMiB}M`,
    '-nodefaults', '-no-user-config', '-nographic', '-display', 'none',
    // A guest reboot ends the VM: the runtime decides what happens next.
    '-no-reboot',
    '-kernel', handles.kernelFd !== undefined ? `/proc/self/fd/${handles.kernelFd}` : spec.kernel,
  ];
  if (spec.initrd !== undefined) args.push('-initrd', handles.initrdFd !== undefined ? `/proc/self/fd/${handles.initrdFd}` : spec.initrd);
  args.push('-append', [...spec.kernelParams, 'console=ttyS0', ...opts.kernelParams].join(' '));
  const consoleDev = handles.console === 'stdio' ? qemuOption('stdio', { id: 'cella-console', signal: false }) : qemuOption('file', { id: 'cella-console', path: spec.consoleLog });
  args.push('-chardev', consoleDev, '-serial', 'chardev:cella-console');
  if (handles.qmpFd !== undefined) {
    args.push('-chardev', qemuOption('socket', { id: 'cella-qmp', fd: handles.qmpFd, server: true, wait: false }), '-mon', 'chardev=cella-qmp,mode=control');
  } else if (opts.qmpSocket !== undefined) {
    args.push('-qmp', qemuOption(`unix:${escapeOptionValue(opts.qmpSocket)}`, { server: true, wait: false }));
  } else {
    specProblem('qmpSocket', 'is needed when no QMP fd is handed over', undefined);
  }
  if (opts.pidFile !== undefined) args.push('-pidfile', opts.pidFile);
  if (opts.seccompSandbox) args.push('-sandbox', SECCOMP_SANDBOX);
  for (const [p, fd] of handles.diskFds ?? []) {
    const set = fdSets.size + 1;
    fdSets.set(p, set);
    args.push('-add-fd', qemuOption(undefined, { fd, set }));
  }
  if (hasFs) {
    // vhost-user-fs needs guest RAM that virtiofsd can map: a shared memfd.
    args.push('-object', qemuOption('memory-backend-memfd', { id: 'cella-mem', size: `${spec.memoryMiB}M`, share: true }));
    if (q35) args.push('-numa', 'node,memdev=cella-mem');
  }
  if (spec.image !== undefined) args.push(...rootDiskArgs(opts.machine, diskFile(spec.image), isHostDevice(spec.image)));
  if (spec.devices.some((d) => d.kind === 'block' && d.driver === 'virtio-scsi')) {
    args.push(...deviceArg({ driver: virtioModel(opts.machine, 'scsi'), id: SCSI_CONTROLLER_ID }));
  }
  for (const device of spec.devices) args.push(...deviceArgs(opts.machine, device, isHostDevice, handles, diskFile));
  args.push(...agentArgs(opts.machine, spec.agentChannel, handles.agentFd));
  if (q35) {
    HOTPLUG_PORTS.forEach((id, i) => args.push(...deviceArg({ driver: 'pcie-root-port', id, bus: 'pcie.0', chassis: i + 1 })));
  }
  args.push(...opts.extraArgs);
  return args;
}
