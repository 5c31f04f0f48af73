// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { GuestImageRecord } from '@cella/core';
import type { KeyInputs } from './image-key';

/** The files of a built image, by role. */
export const IMAGE_FILES = { kernel: 'vmlinuz', initrd: 'initramfs.cpio.gz', image: 'root.img' } as const;
export const MANIFEST_FILE = 'manifest.json';

/** `manifest.json` of a built image. */
export interface ImageManifest {
  key: string;
  builderVersion: string;
  kernelRelease: string;
  kernel: string;
  createdAt: string;
  buildMs: number;
  /** File name → size in bytes. */
  sizes: Record<string, number>;
  inputs: KeyInputs;
  modules: { included: string[]; builtin: string[]; missing: string[] };
}

const KEY_RE = /^[0-9a-f]{64}$/;
const CURRENT = 'current';
const LEFTOVER_AGE_MS = 60 * 60 * 1000;

/**
 * The image cache folder `<cacheDir>/images/`: one folder per key, published by `rename` so no half
 * image is ever visible, and a `current` symlink naming the newest key.
 */
export class ImageStore {
  constructor(readonly imagesDir: string) {}

  /** A fresh temp folder inside the images folder (same filesystem, so `rename` is atomic). */
  async makeBuildDir(): Promise<string> {
    await fs.mkdir(this.imagesDir, { recursive: true });
    return fs.mkdtemp(join(this.imagesDir, '.build-'));
  }

  /**
   * Move a finished image folder into place as `<key>`. When `<key>` exists it is replaced if
   * `replace` is set; otherwise (another build won the race) `outDir` is discarded. Returns whether ours is used.
   */
  async publish(outDir: string, key: string, replace: boolean): Promise<boolean> {
    const target = join(this.imagesDir, key);
    if (replace && (await this.read(key))) {
      const trash = join(this.imagesDir, `.trash-${randomBytes(6).toString('hex')}`);
      await fs.rename(target, trash);
      await fs.rename(outDir, target);
      await fs.rm(trash, { recursive: true, force: true });
      return true;
    }
    try {
      await fs.rename(outDir, target);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await fs.rm(outDir, { recursive: true, force: true });
      return false;
    }
  }

  /** Point `current` at `key` (a symlink replaced by `rename`). */
  async setCurrent(key: string): Promise<void> {
    const tmp = join(this.imagesDir, `.current-${randomBytes(6).toString('hex')}`);
    await fs.symlink(key, tmp);
    await fs.rename(tmp, join(this.imagesDir, CURRENT));
  }

  async currentKey(): Promise<string | undefined> {
    try {
      const key = await fs.readlink(join(this.imagesDir, CURRENT));
      return KEY_RE.test(key) ? key : undefined;
    } catch {
      return undefined;
    }
  }

  /** The record of `key`, or `undefined` when it is not (completely) there. */
  async read(key: string, currentKey?: string): Promise<GuestImageRecord | undefined> {
    if (!KEY_RE.test(key)) return undefined;
    const dir = join(this.imagesDir, key);
    let manifest: ImageManifest;
    try {
      manifest = JSON.parse(await fs.readFile(join(dir, MANIFEST_FILE), 'utf8')) as ImageManifest;
    } catch {
      return undefined;
    }
    const files: Record<string, string> = { manifest: join(dir, MANIFEST_FILE) };
    for (const [role, name] of Object.entries(IMAGE_FILES)) files[role] = join(dir, name);
    const sizeBytes = Object.values(manifest.sizes).reduce((a, b) => a + b, 0);
    return { key, dir, kernelRelease: manifest.kernelRelease, createdAt: manifest.createdAt, sizeBytes, files, current: key === currentKey };
  }

  async readManifest(key: string): Promise<ImageManifest | undefined> {
    try {
      return JSON.parse(await fs.readFile(join(this.imagesDir, key, MANIFEST_FILE), 'utf8')) as ImageManifest;
    } catch {
      return undefined;
    }
  }

  /** Every complete image, newest first. */
  async list(): Promise<GuestImageRecord[]> {
    const current = await this.currentKey();
    const out: GuestImageRecord[] = [];
    for (const name of await this.names()) {
      const rec = await this.read(name, current);
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Delete every image but the current one, and build leftovers older than an hour; returns deleted keys. */
  async prune(): Promise<string[]> {
    const current = await this.currentKey();
    const removed: string[] = [];
    for (const name of await this.names()) {
      if (name === current) continue;
      await fs.rm(join(this.imagesDir, name), { recursive: true, force: true });
      removed.push(name);
    }
    const entries = await fs.readdir(this.imagesDir).catch(() => [] as string[]);
    for (const name of entries.filter((n) => /^\.(build|trash|current)-/.test(n))) {
      const st = await fs.lstat(join(this.imagesDir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LEFTOVER_AGE_MS) await fs.rm(join(this.imagesDir, name), { recursive: true, force: true });
    }
    return removed;
  }

  private async names(): Promise<string[]> {
    const entries = await fs.readdir(this.imagesDir).catch(() => [] as string[]);
    return entries.filter((n) => KEY_RE.test(n));
  }
}
