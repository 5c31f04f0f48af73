// SPDX-License-Identifier: Apache-2.0
export { default } from './plugin';
export { QemuHypervisor } from './qemu-hypervisor';
export { QemuHostChecks } from './host-checks';
export { buildQemuArgs, HOTPLUG_PORTS, type QemuArgsOptions } from './qemu-command-line';
export { QmpClient, MAX_QMP_LINE_BYTES, type QmpEvent } from './qmp-client';
export { probeAccel, cachedAccel, accelCacheFile, POWEROFF_MARKER, type AccelVerdict, type ProbeOptions } from './kvm-probe';
export { QEMU_CONFIG_DEFAULTS, resolveQemuConfig, type QemuConfig, type QemuMachine } from './qemu-config';
export { QemuErrors } from './qemu-errors';
