// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BlockErrors } from './block-errors';

/** Bytes used by a folder tree (files rounded up to 4 KiB blocks, plus inodes). Symlinks are not followed. */
export async function treeSize(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 0;
  const walk = async (d: string): Promise<void> => {
    for (const ent of await fs.readdir(d, { withFileTypes: true })) {
      inodes++;
      const p = join(d, ent.name);
      if (ent.isDirectory()) { bytes += 4096; await walk(p); }
      else if (ent.isFile()) bytes += Math.ceil((await fs.lstat(p)).size / 4096) * 4096;
    }
  };
  await walk(dir);
  return { bytes, inodes };
}

/**
 * Make an ext4 image file from a folder with `mkfs.ext4 -d` (no loop mount, no root needed). The caller
 * records the image path in the journal first.
 */
export async function makeExt4Image(mkfs: string, srcDir: string, image: string, extraMiB: number): Promise<void> {
  const { bytes, inodes } = await treeSize(srcDir);
  const sizeMiB = Math.ceil((bytes * 1.2) / (1 << 20)) + extraMiB + 8;
  await fs.writeFile(image, '');
  await fs.truncate(image, sizeMiB << 20);
  const args = ['-q', '-F', '-t', 'ext4', '-b', '4096', '-N', String(inodes + 1024), '-m', '0', '-E', 'root_owner=0:0', '-d', srcDir, image];
  await new Promise<void>((resolve, reject) => {
    execFile(mkfs, args, { timeout: 120_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      reject(BlockErrors.STORAGE_IMAGE.create('The rootfs image could not be made', {
        cause: err, details: { rootfs: srcDir, image, mkfs, stderr: String(stderr).slice(0, 512) },
      }));
    });
  });
}
