// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { ImageErrors } from './image-errors';
import { sha256File } from './kernel-source';

/** Bumped whenever the builder lays the image out differently: old images become stale. */
export const BUILDER_VERSION = '2';

/** Modules the guest may need, resolved with their dependencies; absent ones are skipped with a note. */
export const GUEST_MODULES: readonly string[] = [
  'virtio_pci', 'virtio_blk', 'virtio_console', 'virtio_scsi', 'sd_mod', 'virtio_net', 'virtiofs', 'fuse', 'overlay',
  'vmw_vsock_virtio_transport', 'tun', 'macvtap',
];

/** The subset stage 1 (the initramfs) loads to find and mount the root image disk (sd_mod: SCSI disks). */
export const STAGE1_MODULES: readonly string[] = ['virtio_pci', 'virtio_blk', 'virtio_scsi', 'sd_mod', 'virtio_console'];

/** Everything an image is made from; any change gives a new key. */
export interface KeyInputs {
  builderVersion: string;
  /** Kernel package checksum, or the kernel file's path, size and mtime. */
  kernel: string;
  /** Init script name → sha256 of its content. */
  initScripts: Record<string, string>;
  modules: readonly string[];
  /** Role (`busybox`, `crun`, `node`) → `path:size:mtimeMs`. */
  binaries: Record<string, string>;
  /** sha256 of the agent bundle's content. */
  agentBundle: string;
  /** sha256 over the agent's node_modules (native netlink addons): relative paths and contents. */
  nodeModules: string;
}

/** The image key: sha256 over a canonical (key-sorted) JSON of the inputs. */
export function imageKey(inputs: KeyInputs): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}

/** `path:size:mtimeMs` of a file (symlinks followed); throws E_IMAGE_INPUT when missing. */
export async function fileFingerprint(path: string): Promise<string> {
  try {
    const st = await fs.stat(path);
    return `${path}:${st.size}:${st.mtimeMs}`;
  } catch (err) {
    throw ImageErrors.IMAGE_INPUT.create('A file for the guest image is missing', { cause: err, details: { path } });
  }
}

/** sha256 of a file's content; throws E_IMAGE_INPUT when missing. */
export async function fileContentHash(path: string): Promise<string> {
  try {
    return await sha256File(path);
  } catch (err) {
    throw ImageErrors.IMAGE_INPUT.create('A file for the guest image is missing', { cause: err, details: { path } });
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 over every file below `dir` (sorted relative paths and their contents); throws E_IMAGE_INPUT when missing. */
export async function treeContentHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    throw ImageErrors.IMAGE_INPUT.create('A folder for the guest image is missing', { cause: err, details: { path: dir } });
  }
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  for (const f of files) hash.update(`${relative(dir, f)}\0${await sha256File(f)}\0`);
  return hash.digest('hex');
}
