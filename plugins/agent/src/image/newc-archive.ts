// SPDX-License-Identifier: Apache-2.0
import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * A gzip'd cpio "newc" archive writer for the initramfs. Every entry is owned by root with mtime 0,
 * entries are sorted by path, so the same staged folder always gives the same bytes.
 */

/** An entry that does not exist in the staged folder (device nodes cannot be made without mknod). */
export interface ExtraNode {
  /** Path inside the archive, without a leading slash (`dev/console`). */
  path: string;
  kind: 'char' | 'dir';
  mode: number;
  major?: number;
  minor?: number;
}

interface Entry {
  path: string;
  mode: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  data?: () => Promise<Buffer>;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** Write `stageRoot` (plus `extras`) as a gzip'd newc archive to `outFile`; returns the file's size. */
export async function writeNewcArchive(stageRoot: string, outFile: string, extras: readonly ExtraNode[] = []): Promise<number> {
  const entries = new Map<string, Entry>();
  for (const e of await collect(stageRoot)) entries.set(e.path, e);
  for (const x of extras) {
    const type = x.kind === 'char' ? S_IFCHR : S_IFDIR;
    entries.set(x.path, { path: x.path, mode: type | x.mode, size: 0, rdevMajor: x.major ?? 0, rdevMinor: x.minor ?? 0 });
  }
  const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await pipeline(Readable.from(records(sorted)), createGzip({ level: 9 }), createWriteStream(outFile, { mode: 0o644 }));
  return (await fs.stat(outFile)).size;
}

async function collect(stageRoot: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const d of await fs.readdir(stageRoot, { withFileTypes: true, recursive: true })) {
    const abs = join(d.parentPath, d.name);
    const path = abs.slice(stageRoot.length + 1);
    const st = await fs.lstat(abs);
    const perm = st.mode & 0o7777;
    if (st.isDirectory()) {
      out.push({ path, mode: S_IFDIR | perm, size: 0, rdevMajor: 0, rdevMinor: 0 });
    } else if (st.isSymbolicLink()) {
      const target = Buffer.from(await fs.readlink(abs), 'utf8');
      out.push({ path, mode: S_IFLNK | 0o777, size: target.length, rdevMajor: 0, rdevMinor: 0, data: async () => target });
    } else if (st.isFile()) {
      out.push({ path, mode: S_IFREG | perm, size: st.size, rdevMajor: 0, rdevMinor: 0, data: () => fs.readFile(abs) });
    }
  }
  return out;
}

async function* records(entries: readonly Entry[]): AsyncGenerator<Buffer> {
  let ino = 1;
  for (const e of entries) {
    const isDir = (e.mode & 0o170000) === S_IFDIR;
    yield header(ino++, e.mode, isDir ? 2 : 1, e.size, e.rdevMajor, e.rdevMinor, e.path);
    if (e.data && e.size > 0) {
      const data = await e.data();
      yield data;
      yield pad(data.length);
    }
  }
  yield header(ino, 0, 1, 0, 0, 0, 'TRAILER!!!');
}

function header(ino: number, mode: number, nlink: number, size: number, rdevMajor: number, rdevMinor: number, name: string): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0];
  const head = Buffer.from(`070701${fields.map((n) => n.toString(16).padStart(8, '0')).join('')}`, 'ascii');
  return Buffer.concat([head, nameBytes, pad(head.length + nameBytes.length)]);
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
