// SPDX-License-Identifier: Apache-2.0
import type { AgentChannel, VmDevice, VmSpec } from '@cella/core';
import type { QemuMachine } from './qemu-config';
import { QemuErrors } from './qemu-errors';

/** Device ids starting with this are the plugin's own (root disk, agent port, hotplug ports). */
export const RESERVED_ID_PREFIX = 'cella-';

/** Longest unix socket path the kernel accepts (sun_path holds 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;
/** QEMU's id rule (`id_wellformed`): a letter, then letters, digits, `-`, `.`, `_`. No commas. */
const QEMU_ID = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const PCI_ADDRESS = /^([0-9A-Fa-f]{4}:)?[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/;
const IFNAME = /^[^\s/,:]{1,15}$/;
const PORT_NAME = /^[A-Za-z0-9._-]{1,127}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** Throw E_HYPERVISOR_SPEC naming the field, what is wrong with it, and (a bounded copy of) its value. */
export function specProblem(field: string, problem: string, value?: unknown): never {
  const details: Record<string, unknown> = { field, problem };
  if (value !== undefined) details.value = typeof value === 'string' ? value.slice(0, 200) : value;
  throw QemuErrors.HYPERVISOR_SPEC.create('The VM spec cannot be turned into a QEMU command line.', { details });
}

function checkPath(value: unknown, field: string, socket = false): void {
  if (typeof value !== 'string' || !value.startsWith('/')) specProblem(field, 'must be an absolute path', value);
  if (CONTROL.test(value)) specProblem(field, 'must not contain control characters', value);
  if (socket && Buffer.byteLength(value) > MAX_SOCKET_PATH) specProblem(field, `a unix socket path must be at most ${MAX_SOCKET_PATH} bytes`, value);
}

function checkInt(value: unknown, field: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    specProblem(field, `must be an integer from ${min} to ${max}`, value);
  }
}

function checkText(value: unknown, field: string, maxBytes: number): void {
  if (typeof value !== 'string' || value.length === 0) specProblem(field, 'must be a non-empty string', value);
  if (CONTROL.test(value) || /\s/.test(value)) specProblem(field, 'must not contain spaces or control characters', value);
  if (Buffer.byteLength(value) > maxBytes) specProblem(field, `must be at most ${maxBytes} bytes`, value);
}

/** Throw E_HYPERVISOR_SPEC (naming the field) unless the device can be given to QEMU. */
export function checkVmDevice(device: VmDevice, field: string, machine: QemuMachine): void {
  if (typeof device.id !== 'string' || !QEMU_ID.test(device.id)) {
    specProblem(`${field}.id`, 'must start with a letter and hold only letters, digits, "-", "." and "_" (at most 64)', device.id);
  }
  if (device.id.startsWith(RESERVED_ID_PREFIX)) specProblem(`${field}.id`, `the prefix "${RESERVED_ID_PREFIX}" is reserved`, device.id);
  switch (device.kind) {
    case 'block':
      checkPath(device.path, `${field}.path`);
      if (typeof device.readOnly !== 'boolean') specProblem(`${field}.readOnly`, 'must be a boolean', device.readOnly);
      if (device.format !== 'raw' && device.format !== 'qcow2') specProblem(`${field}.format`, 'must be "raw" or "qcow2"', device.format);
      if (device.driver !== 'virtio-blk' && device.driver !== 'virtio-scsi') specProblem(`${field}.driver`, 'must be "virtio-blk" or "virtio-scsi"', device.driver);
      checkText(device.serial, `${field}.serial`, 20);
      return;
    case 'fs':
      checkPath(device.socketPath, `${field}.socketPath`, true);
      checkText(device.tag, `${field}.tag`, 36);
      if (device.queueSize !== undefined) {
        checkInt(device.queueSize, `${field}.queueSize`, 1, 1024);
        if ((device.queueSize & (device.queueSize - 1)) !== 0) specProblem(`${field}.queueSize`, 'must be a power of two', device.queueSize);
      }
      return;
    case 'net':
      if (typeof device.mac !== 'string' || !MAC.test(device.mac)) specProblem(`${field}.mac`, 'must be a MAC address like 02:00:00:00:00:01', device.mac);
      checkInt(device.mtu, `${field}.mtu`, 68, 65535);
      checkInt(device.queues, `${field}.queues`, 1, 64);
      if ((device.fds === undefined) === (device.ifname === undefined)) specProblem(field, 'needs exactly one of fds and ifname');
      if (device.fds !== undefined) {
        if (!Array.isArray(device.fds) || device.fds.length !== device.queues) specProblem(`${field}.fds`, 'must hold one fd per queue', device.fds);
        device.fds.forEach((fd, i) => checkInt(fd, `${field}.fds[${i}]`, 3, 65535));
      }
      if (device.ifname !== undefined && !IFNAME.test(device.ifname)) specProblem(`${field}.ifname`, 'must be an interface name (at most 15 bytes, no "/", ",", ":" or spaces)', device.ifname);
      return;
    case 'vfio':
      if (machine === 'microvm') specProblem(field, 'VFIO needs PCI, which the microvm machine does not have');
      if (typeof device.pciAddress !== 'string' || !PCI_ADDRESS.test(device.pciAddress)) specProblem(`${field}.pciAddress`, 'must be a PCI address like 0000:01:00.0', device.pciAddress);
      return;
    default:
      specProblem(`${field}.kind`, 'must be block, fs, net or vfio', (device as { kind?: unknown }).kind);
  }
}

function checkChannel(channel: AgentChannel): void {
  switch (channel?.kind) {
    case 'virtio-serial':
      checkPath(channel.socketPath, 'agentChannel.socketPath', true);
      if (typeof channel.name !== 'string' || !PORT_NAME.test(channel.name)) specProblem('agentChannel.name', 'must hold only letters, digits, ".", "-" and "_"', channel.name);
      return;
    case 'vsock':
      checkInt(channel.cid, 'agentChannel.cid', 3, 0xfffffffe);
      checkInt(channel.port, 'agentChannel.port', 0, 0xffffffff);
      return;
    case 'hybrid-vsock':
      throw QemuErrors.HYPERVISOR_UNSUPPORTED_CHANNEL.create('QEMU has no hybrid vsock device.', {
        details: { field: 'agentChannel.kind', value: channel.kind },
        hint: 'Use the virtio-serial channel (or vsock where /dev/vhost-vsock exists) with QEMU.',
      });
    default:
      specProblem('agentChannel.kind', 'must be virtio-serial, vsock or hybrid-vsock', (channel as { kind?: unknown } | undefined)?.kind);
  }
}

/** Throw E_HYPERVISOR_SPEC (naming the field) unless the whole spec can be given to QEMU. */
export function checkVmSpec(spec: VmSpec, machine: QemuMachine): void {
  checkText(spec.sandboxId, 'sandboxId', 256);
  checkInt(spec.vcpus, 'vcpus', 1, 255);
  checkInt(spec.memoryMiB, 'memoryMiB', 64, 1024 * 1024);
  checkPath(spec.kernel, 'kernel');
  if (spec.initrd !== undefined) checkPath(spec.initrd, 'initrd');
  if (spec.image !== undefined) checkPath(spec.image, 'image');
  checkPath(spec.runDir, 'runDir');
  checkPath(spec.consoleLog, 'consoleLog');
  if (!Array.isArray(spec.kernelParams)) specProblem('kernelParams', 'must be an array of strings');
  spec.kernelParams.forEach((p, i) => {
    if (typeof p !== 'string' || p.length === 0 || CONTROL.test(p)) specProblem(`kernelParams[${i}]`, 'must be a non-empty string without control characters', p);
  });
  if (!Array.isArray(spec.devices)) specProblem('devices', 'must be an array');
  const seen = new Set<string>();
  spec.devices.forEach((device, i) => {
    checkVmDevice(device, `devices[${i}]`, machine);
    if (seen.has(device.id)) specProblem(`devices[${i}].id`, 'is used by another device', device.id);
    seen.add(device.id);
  });
  checkChannel(spec.agentChannel);
}
