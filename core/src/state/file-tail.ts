// SPDX-License-Identifier: Apache-2.0
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `max` bytes of a file as text ('' when it cannot be read). Bounded whatever the file's size: it is
 * written by the guest (its console), which is untrusted. Synchronous so it can run the moment a VM dies,
 * before teardown removes the file.
 */
export function readTail(path: string, max = 4096): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, size - len);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
