// SPDX-License-Identifier: Apache-2.0
import { resolve } from 'node:path';
import { E } from '@cella/core';
import { checkConsoleSocket } from '@cella/core/tty';

/**
 * runc's rules for `process.terminal` and `--console-socket` (runc's texts: callers match them), checked
 * before anything is made: a detached terminal process needs a console socket, a console socket needs a
 * detached terminal process, and the socket must exist. Returns the socket's absolute path, if any.
 */
export function checkTerminal(terminal: boolean, consoleSocket: string | undefined, detach: boolean, source: string): string | undefined {
  if (detach && terminal && !consoleSocket) {
    throw E.INVALID_ARGUMENT.create('cannot allocate tty if runc will detach without setting console socket', { details: { source, field: 'process.terminal' } });
  }
  if ((!detach || !terminal) && consoleSocket) {
    throw E.INVALID_ARGUMENT.create('cannot use console socket if runc will not detach or allocate tty', { details: { source, socket: consoleSocket } });
  }
  if (!consoleSocket) return undefined;
  const path = resolve(consoleSocket);
  checkConsoleSocket(path);
  return path;
}
