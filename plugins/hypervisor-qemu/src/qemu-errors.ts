// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/** Error codes of the QEMU hypervisor plugin. */
export const QemuErrors = defineErrorCodes('hypervisor.qemu', {
  /** The VmSpec (or a hot-plugged device) cannot be expressed as a QEMU command line. */
  HYPERVISOR_SPEC: 'InvalidArgument',
  /** The agent channel kind has no QEMU device (hybrid vsock). */
  HYPERVISOR_UNSUPPORTED_CHANNEL: 'NotSupported',
  /** The QEMU binary is missing or cannot be run. */
  HYPERVISOR_BINARY: 'Unavailable',
  /** QEMU exited, or never answered, while the VM was starting. */
  HYPERVISOR_START: 'Unavailable',
  /** A lifecycle call came in the wrong state (start twice, pause before start). */
  HYPERVISOR_STATE: 'FailedPrecondition',
  /** The QMP connection failed, closed, or broke the protocol. */
  HYPERVISOR_QMP: 'Unavailable',
  /** QEMU refused a QMP command; its error class and text are in the details. */
  HYPERVISOR_QMP_COMMAND: 'Internal',
  /** Something did not happen in time (QMP reply, device removal, process exit). */
  HYPERVISOR_TIMEOUT: 'Timeout',
  /** No device with that id is attached to the VM. */
  HYPERVISOR_DEVICE_NOT_FOUND: 'NotFound',
  /** The device kind or machine cannot be hot-plugged. */
  HYPERVISOR_HOTPLUG: 'NotSupported',
});
