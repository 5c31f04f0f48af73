// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '../errors/codes';

/** Errors of confined spawning (host processes with least privilege) and of the fds handed to them. */
export const ProcessErrors = defineErrorCodes('@cella/core/process', {
  /** A unix socket to hand to a child could not be made or reached. */
  PROCESS_SOCKET: 'Internal',
  /** The unprivileged user a host process should run as does not exist and cannot be made. */
  PROCESS_USER: 'FailedPrecondition',
});
