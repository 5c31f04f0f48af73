// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import type { HostCheck, HostCheckResult } from '@cella/core';
import { CellaError } from '@cella/core/errors';
import { defaultVirtiofsdPaths, resolveVirtiofsConfig, type VirtiofsConfig } from './virtiofs-config';
import { probeVirtiofsd, virtiofsdArgsFor, type VirtiofsdBinary } from './virtiofsd-binary';

function describeError(err: unknown): string {
  return err instanceof CellaError
    ? `${err.message}: ${JSON.stringify(err.details ?? {})}${err.hint ? ` (${err.hint})` : ''}`
    : String(err);
}

/**
 * The `cella check` lines for virtio-fs: which virtiofsd is used (flavour, version, whether the options suit
 * it), and who owns on the host what a guest writes (the sandboxing posture of the share, docs/adr/0013).
 */
export class VirtiofsHostChecks implements HostCheck {
  private readonly config: VirtiofsConfig;
  private readonly candidates: readonly string[];

  /** `cacheDir` (the core's `cache_dir`) is where Cella's own Rust virtiofsd is looked for first. */
  constructor(config: Partial<VirtiofsConfig>, cacheDir?: string) {
    this.config = resolveVirtiofsConfig(config);
    this.candidates = defaultVirtiofsdPaths(cacheDir);
  }

  async run(): Promise<HostCheckResult[]> {
    let bin: VirtiofsdBinary | undefined;
    try {
      bin = await probeVirtiofsd(this.config.virtiofsd_path, this.candidates);
      virtiofsdArgsFor(bin.flavour, this.config, '/s', '/d');
      const kind = bin.flavour === 'rust' ? 'Rust virtiofsd' : 'QEMU C virtiofsd';
      return [{ name: 'virtiofsd', status: 'pass', detail: `${bin.version} (${kind}, ${bin.path})` }, await this.ownershipLine()];
    } catch (err) {
      return [{ name: 'virtiofsd', status: 'fail', detail: describeError(err) }, await this.ownershipLine(err)];
    }
  }

  /**
   * Warns for passthrough (the unsafe mode); fails when the unprivileged mode cannot be had: the virtiofsd
   * refused it, none is usable, or user namespaces are off.
   */
  private async ownershipLine(err?: unknown): Promise<HostCheckResult> {
    const name = 'virtio-fs ownership';
    const id = this.config.unprivileged_id;
    if (this.config.ownership === 'passthrough') {
      return { name, status: 'warn', detail: 'passthrough: guest uids and gids are host ones and virtiofsd runs as root; a container can leave setuid-root files and device nodes on the host' };
    }
    if (err instanceof CellaError && err.details?.option === 'ownership') return { name, status: 'fail', detail: `unprivileged: ${describeError(err)}` };
    if (err !== undefined) return { name, status: 'fail', detail: 'unprivileged: no usable virtiofsd (see the virtiofsd line)' };
    const maxNs = (await fs.readFile('/proc/sys/user/max_user_namespaces', 'utf8').catch(() => '0')).trim();
    if (maxNs === '0') {
      return { name, status: 'fail', detail: 'unprivileged: user namespaces are off (user.max_user_namespaces = 0); enable them or set ownership = "passthrough"' };
    }
    return { name, status: 'pass', detail: `unprivileged: guest writes are owned by host uid/gid ${id}; virtiofsd runs as ${id} in a user namespace without fowner, fsetid, mknod (no setuid-root files, no device nodes)` };
  }
}
