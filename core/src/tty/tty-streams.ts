// SPDX-License-Identifier: Apache-2.0
import { closeSync } from 'node:fs';
import { ReadStream } from 'node:tty';

/**
 * A pty end as one Node stream: libuv's tty handle (non-blocking, on the event loop) that both reads and
 * writes. Reading a master whose slave side is all closed fails with EIO: that is the end of the stream, so
 * it ends the stream instead of erroring. Closing the stream closes `fd`.
 */
export function ttyStream(fd: number): ReadStream {
  const s = new ReadStream(fd);
  // libuv reopens a pty *slave* by its path (to set O_NONBLOCK on a file description of its own) and dup2()s
  // the new one onto `fd`, keeping both numbers open; the stream closes only its own. Close `fd` now, or the
  // slave would stay open (and the master never see the end) after the stream is closed.
  const own = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof own === 'number' && own >= 0 && own !== fd) closeFd(fd);
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EIO') s.push(null);
  });
  return s;
}

/** Closes an fd that no stream owns, ignoring one already closed. */
export function closeFd(fd: number): void {
  try { closeSync(fd); } catch { /* already closed */ }
}
