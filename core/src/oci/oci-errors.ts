// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '../errors/codes';

/**
 * Errors of the runc-compatible lifecycle. Unlike the rest of Cella, their messages are runc's own texts
 * (lower case, as runc prints them): containerd's runc shim matches them (`container not running`,
 * `does not exist`), so they are part of the interface. Facts go in `details`, as everywhere.
 */
export const OciErrors = defineErrorCodes('@cella/core/oci', {
  /** The operation is not allowed in the container's current status. */
  OCI_STATE: 'FailedPrecondition',
  /** No container with that id. */
  OCI_NOT_FOUND: 'NotFound',
  /** `create` with an id that is taken. */
  OCI_EXISTS: 'AlreadyExists',
  /** `kill` with a signal runc would not know. */
  OCI_SIGNAL: 'InvalidArgument',
  /** `spec` into a bundle that already has a config.json. */
  OCI_SPEC_EXISTS: 'AlreadyExists',
  /** The process's executable is not in the rootfs (or not executable): `create` and `run` refuse, as runc's. */
  OCI_EXECUTABLE: 'InvalidArgument',
});
