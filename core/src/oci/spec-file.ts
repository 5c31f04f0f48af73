// SPDX-License-Identifier: Apache-2.0
import { constants, promises as fs } from 'node:fs';
import { E } from '../errors/codes';

/** Largest spec file read (runc has no limit; a bound keeps a hostile bundle from eating memory). */
export const MAX_SPEC_FILE_BYTES = 16 << 20;

/** What a non-regular file is, for the error (no other fact about it is given). */
function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read and parse a JSON spec file (a bundle's config.json, `exec --process`), as untrusted input: it must be a
 * regular file once opened (libuv adds O_CLOEXEC; a symlink is followed, then checked: /dev/zero, a FIFO or a folder is refused, and
 * O_NONBLOCK keeps a FIFO from blocking the open), at most `MAX_SPEC_FILE_BYTES` are read whatever stat says
 * (a file that grows, a /proc file whose size is 0), and no byte of the file goes into an error (a symlink to
 * /etc/shadow must not show its first bytes): a JSON error gives the offset only.
 * `what` names the file in messages ("The bundle's config.json", "The --process file").
 */
export async function readSpecFile(file: string, what: string): Promise<unknown> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw E.BUNDLE_NOT_FOUND.create(`${what} does not exist`, { details: { file } });
    throw E.BUNDLE_INVALID.create(`${what} cannot be opened (${code ?? 'error'})`, { details: { file } });
  }
  let text: string;
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw E.BUNDLE_INVALID.create(`${what} is ${kindOf(st)}, not a regular file`, { details: { file } });
    const buf = Buffer.allocUnsafe(MAX_SPEC_FILE_BYTES + 1);
    let used = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, used, buf.length - used, null);
      if (bytesRead === 0) break;
      used += bytesRead;
      if (used > MAX_SPEC_FILE_BYTES) throw E.BUNDLE_INVALID.create(`${what} is larger than ${MAX_SPEC_FILE_BYTES} bytes`, { details: { file } });
    }
    text = buf.subarray(0, used).toString('utf8');
  } finally {
    await handle.close();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8's message quotes the text around the fault: only the offset is kept.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw E.BUNDLE_INVALID.create(`${what} is not valid JSON`, { details: { file, ...(at === undefined ? {} : { offset: Number(at) }) } });
  }
}
