// SPDX-License-Identifier: Apache-2.0
import type { HostCheck, HostCheckResult } from '@cella/core';
import { CellaError } from '@cella/core/errors';
import { defaultVirtiofsdPaths, resolveVirtiofsConfig, type VirtiofsConfig } from './virtiofs-config';
import { buildVirtiofsdArgs, probeVirtiofsd } from './virtiofsd-binary';

/** The `cella check` line for virtio-fs: which virtiofsd is used, its flavour and version, and whether the options suit it. */
export class VirtiofsHostChecks implements HostCheck {
  private readonly config: VirtiofsConfig;
  private readonly candidates: readonly string[];

  /** `cacheDir` (the core's `cache_dir`) is where Cella's own Rust virtiofsd is looked for first. */
  constructor(config: Partial<VirtiofsConfig>, cacheDir?: string) {
    this.config = resolveVirtiofsConfig(config);
    this.candidates = defaultVirtiofsdPaths(cacheDir);
  }

  async run(): Promise<HostCheckResult[]> {
    const name = 'virtiofsd';
    try {
      const bin = await probeVirtiofsd(this.config.virtiofsd_path, this.candidates);
      buildVirtiofsdArgs(bin.flavour, {
        socketPath: '/s', sharedDir: '/d', cache: this.config.cache_mode, threadPoolSize: this.config.thread_pool_size,
        xattr: this.config.xattr, sandbox: this.config.sandbox, extraArgs: this.config.extra_args,
      });
      const kind = bin.flavour === 'rust' ? 'Rust virtiofsd' : 'QEMU C virtiofsd';
      return [{ name, status: 'pass', detail: `${bin.version} (${kind}, ${bin.path})` }];
    } catch (err) {
      const detail = err instanceof CellaError
        ? `${err.message}: ${JSON.stringify(err.details ?? {})}${err.hint ? ` (${err.hint})` : ''}`
        : String(err);
      return [{ name, status: 'fail', detail }];
    }
  }
}
