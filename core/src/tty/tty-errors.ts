// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '../errors/codes';

/** Errors of the terminal support (ptys and fd passing over unix sockets). */
export const TtyErrors = defineErrorCodes('@cella/core/tty', {
  /** The native syscall addons (syscall-napi, buffer2address) cannot be loaded, or the architecture is not known. */
  TTY_NATIVE: 'Unavailable',
  /** A pty could not be opened or configured. */
  TTY_PTY: 'Internal',
  /** The console socket cannot be reached (missing, not a socket, nobody listening). */
  TTY_CONSOLE_SOCKET: 'InvalidArgument',
  /** Sending or receiving a file descriptor over a unix socket failed. */
  TTY_FD_PASSING: 'Internal',
});
