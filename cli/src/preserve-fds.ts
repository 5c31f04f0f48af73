// SPDX-License-Identifier: Apache-2.0
import { E } from '@cella/core';

/**
 * runc's `--preserve-fds N` hands the caller's fds 3..N+2 to the container process. A file descriptor cannot
 * cross into the VM (docs/adr/0010), so any N but 0 is refused before anything is made, rather than dropped.
 */
export function checkPreserveFds(value: string | number | undefined): void {
  if (value === undefined) return;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw E.INVALID_ARGUMENT.create(`invalid value "${value}" for flag --preserve-fds`, { details: { flag: '--preserve-fds', value } });
  }
  if (n === 0) return;
  throw E.NOT_SUPPORTED.create('--preserve-fds is not supported: file descriptors cannot be passed into the VM', {
    details: { flag: '--preserve-fds', value: n },
    hint: 'Give the container what it needs through the bundle (mounts, network) instead of inherited descriptors.',
  });
}
