// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isCellaError, type GuestImageRecord, type Logger } from '@cella/core';
import { assembleImage, mib } from './image-assembler';
import { ImageErrors } from './image-errors';
import { BUILDER_VERSION, GUEST_MODULES, fileContentHash, fileFingerprint, imageKey, treeContentHash, type KeyInputs } from './image-key';
import { ImageStore, MANIFEST_FILE, type ImageManifest } from './image-store';
import { KernelSource, type KernelIdentity } from './kernel-source';

export interface ImageBuildInputs {
  /** Persistent cache root: images go to `<cacheDir>/images/`, the kernel package to `<cacheDir>/downloads/`. */
  cacheDir: string;
  /** The bundled guest agent (one JS file). */
  agentBundle: string;
  /** Folder with the agent's `node_modules/` (scripts/post-build.js stages it beside the bundle). */
  agentNodeModules: string;
  /** A kernel of your own instead of Debian's `linux-image-cloud-amd64`. */
  kernel?: { path: string; modulesDir: string };
  /** Default `/bin/busybox` (should be static: it runs in the initramfs). */
  busybox?: string;
  /** Default `/usr/bin/crun`. */
  crun?: string;
  /** Default `process.execPath`. */
  node?: string;
  /** Folder holding `init-stage1` and `init-stage2`; default the package's `guest/`. */
  guestDir?: string;
}

const TOTAL_STEPS = 6;

/** Builds the guest image (kernel, initramfs, root image) into a content-keyed cache. */
export class GuestImageBuilder {
  private readonly store: ImageStore;
  private readonly kernel: KernelSource;

  constructor(private readonly inputs: ImageBuildInputs, private readonly logger: Logger) {
    this.store = new ImageStore(join(inputs.cacheDir, 'images'));
    this.kernel = new KernelSource(join(inputs.cacheDir, 'downloads'), inputs.kernel);
  }

  /** The key the current inputs give (no download, no build). */
  async computeKey(): Promise<string> {
    return imageKey((await this.keyInputs()).inputs);
  }

  /** Build the image unless the cache has it (or `force`); makes it `current` either way. */
  async build(opts: { force?: boolean; progress?: (line: string) => void } = {}): Promise<GuestImageRecord> {
    const progress = opts.progress ?? ((): void => undefined);
    const started = Date.now();
    const { inputs, kernel } = await this.keyInputs();
    const key = imageKey(inputs);
    const cached = opts.force ? undefined : await this.store.read(key);
    if (cached) {
      await this.store.setCurrent(key);
      progress(`image ${key.slice(0, 12)} is up to date (cache hit, ${secs(started)})`);
      return { ...cached, current: true };
    }
    this.logger.info('building guest image', { key, kernel: kernel.label });
    const buildDir = await this.store.makeBuildDir();
    let stepNo = 0;
    let stepStart = Date.now();
    const step = (message: string): void => {
      stepNo += 1;
      progress(`[${stepNo}/${TOTAL_STEPS}] ${message} (${secs(stepStart)})`);
      stepStart = Date.now();
    };
    try {
      const outDir = join(buildDir, 'out');
      const workDir = join(buildDir, 'work');
      await fs.mkdir(outDir);
      await fs.mkdir(workDir);
      const prepared = await this.kernel.prepare(kernel, workDir);
      step(`kernel: ${kernel.label}, release ${prepared.release}` +
        (prepared.downloaded ? `, downloaded ${mib(prepared.downloaded)}` : kernel.deb ? ', package cached' : ''));
      const result = await assembleImage({
        key,
        kernel: prepared,
        ...this.binaries(),
        agentBundle: this.inputs.agentBundle,
        agentNodeModules: this.inputs.agentNodeModules,
        initStage1: join(this.guestDir(), 'init-stage1'),
        initStage2: join(this.guestDir(), 'init-stage2'),
      }, workDir, outDir, step);
      const manifest: ImageManifest = {
        key,
        builderVersion: BUILDER_VERSION,
        kernelRelease: prepared.release,
        kernel: kernel.label,
        createdAt: new Date().toISOString(),
        buildMs: Date.now() - started,
        sizes: result.sizes,
        inputs,
        modules: { included: result.modules.included, builtin: result.modules.builtin, missing: result.modules.missing },
      };
      await fs.writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, undefined, 2)}\n`);
      await this.store.publish(outDir, key, opts.force === true);
      await this.store.setCurrent(key);
      const total = Object.values(result.sizes).reduce((a, b) => a + b, 0);
      step(`image ${key.slice(0, 12)} ready: ${mib(total)} in ${secs(started)} total`);
      this.logger.info('guest image built', { key, kernelRelease: prepared.release, ms: Date.now() - started });
    } catch (err) {
      if (isCellaError(err)) throw err;
      throw ImageErrors.IMAGE_BUILD.create('The guest image could not be built', { cause: err, details: { key } });
    } finally {
      await fs.rm(buildDir, { recursive: true, force: true });
    }
    const rec = await this.store.read(key, key);
    if (!rec) throw ImageErrors.IMAGE_BUILD.create('The built guest image vanished from the cache', { details: { key } });
    return rec;
  }

  /** Every built image, newest first. */
  list(): Promise<GuestImageRecord[]> {
    return this.store.list();
  }

  /** The image `current` points at. */
  async current(): Promise<GuestImageRecord | undefined> {
    const key = await this.store.currentKey();
    return key ? this.store.read(key, key) : undefined;
  }

  /**
   * The current image and whether it still matches the inputs, checked without asking apt: a Debian
   * kernel counts as the package the image was built from (a newer package is picked up by `build`),
   * everything else (kernel file, binaries, init scripts, agent bundle) is checked now.
   */
  async checkCurrent(): Promise<{ image?: GuestImageRecord; fresh: boolean }> {
    const image = await this.current();
    if (!image) return { fresh: false };
    let kernelPart: string | undefined;
    if (this.inputs.kernel) {
      kernelPart = (await this.kernel.identify()).keyPart;
    } else {
      const recorded = (await this.store.readManifest(image.key))?.inputs.kernel;
      kernelPart = recorded?.startsWith('deb:') ? recorded : undefined;
    }
    if (!kernelPart) return { image, fresh: false };
    const expected = imageKey(await this.localInputs(kernelPart));
    if (expected === image.key) return { image, fresh: true };
    // Another installation sharing the cache may have made a newer `current`: our own image still serves us.
    const own = (await this.list()).find((i) => i.key === expected);
    return own ? { image: own, fresh: true } : { image, fresh: false };
  }

  /** Delete every image but the current one; returns the deleted keys. */
  async prune(): Promise<string[]> {
    const removed = await this.store.prune();
    if (removed.length) this.logger.info('pruned guest images', { keys: removed });
    return removed;
  }

  private async keyInputs(): Promise<{ inputs: KeyInputs; kernel: KernelIdentity }> {
    const kernel = await this.kernel.identify();
    return { inputs: await this.localInputs(kernel.keyPart), kernel };
  }

  private async localInputs(kernelPart: string): Promise<KeyInputs> {
    const bins = this.binaries();
    const guestDir = this.guestDir();
    return {
      builderVersion: BUILDER_VERSION,
      kernel: kernelPart,
      initScripts: {
        'init-stage1': await fileContentHash(join(guestDir, 'init-stage1')),
        'init-stage2': await fileContentHash(join(guestDir, 'init-stage2')),
      },
      modules: GUEST_MODULES,
      binaries: {
        busybox: await fileFingerprint(bins.busybox),
        crun: await fileFingerprint(bins.crun),
        node: await fileFingerprint(bins.node),
      },
      agentBundle: await fileContentHash(this.inputs.agentBundle),
      nodeModules: await treeContentHash(this.inputs.agentNodeModules),
    };
  }

  private binaries(): { busybox: string; crun: string; node: string } {
    return {
      busybox: this.inputs.busybox ?? '/bin/busybox',
      crun: this.inputs.crun ?? '/usr/bin/crun',
      node: this.inputs.node ?? process.execPath,
    };
  }

  private guestDir(): string {
    // dist/image/ (or src/image/) → the package's guest/ folder.
    return this.inputs.guestDir ?? join(__dirname, '..', '..', 'guest');
  }
}

function secs(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
