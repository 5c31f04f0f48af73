// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';

export type VirtiofsCacheMode = 'never' | 'metadata' | 'auto' | 'always';
export type VirtiofsSandboxMode = 'namespace' | 'chroot' | 'none';
/**
 * Who owns on the host what the guest writes (docs/adr/0013). `unprivileged`: one unprivileged host id, and
 * virtiofsd cannot make a setuid-root file, a device node or change a host file's mode; `passthrough`: guest
 * ids are host ids and virtiofsd runs as root (a container can leave setuid-root files on the host).
 */
export type VirtiofsOwnership = 'unprivileged' | 'passthrough';

/** Options of `[plugins."storage.virtiofs"]` (schema/config.schema.json). */
export interface VirtiofsConfig {
  /** Unset: the first of defaultVirtiofsdPaths(cache folder) that exists and answers as a virtiofsd. */
  virtiofsd_path?: string;
  extra_args: string[];
  cache_mode: VirtiofsCacheMode;
  thread_pool_size: number;
  xattr: boolean;
  sandbox: VirtiofsSandboxMode;
  ownership: VirtiofsOwnership;
  /** With `unprivileged` ownership: the host uid and gid virtiofsd runs as and that owns what the guest writes. */
  unprivileged_id: number;
}

/**
 * The default host id of what the guest writes: far above the ranges distributions hand to users and to
 * subordinate-id ranges (/etc/subuid usually starts at 100000), so it names nobody's files but the guest's.
 */
export const DEFAULT_UNPRIVILEGED_ID = 2147483646;

/** The cache folder when the core's `cache_dir` is not at hand. */
export const DEFAULT_CACHE_DIR = '/var/cache/cella';
/** Below the cache folder: the wrapper `scripts/setup-virtiofsd.sh` writes for Debian 13's Rust virtiofsd. */
export const CELLA_VIRTIOFSD_SUBPATH = 'virtiofsd-trixie/virtiofsd';

/**
 * Where virtiofsd is looked for, in order: Cella's own copy of Debian 13's Rust virtiofsd, the distribution's
 * Rust package (Debian 13 and later), QEMU's C daemon (Debian 12).
 */
export function defaultVirtiofsdPaths(cacheDir: string = DEFAULT_CACHE_DIR): string[] {
  return [join(cacheDir, CELLA_VIRTIOFSD_SUBPATH), '/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];
}

/** defaultVirtiofsdPaths() for the default cache folder. */
export const DEFAULT_VIRTIOFSD_PATHS: readonly string[] = defaultVirtiofsdPaths();

/** The config with the schema's defaults filled in (the loader fills them too; tests and checks may not). */
export function resolveVirtiofsConfig(config: Partial<VirtiofsConfig>): VirtiofsConfig {
  return {
    virtiofsd_path: config.virtiofsd_path,
    extra_args: config.extra_args ?? [],
    cache_mode: config.cache_mode ?? 'auto',
    thread_pool_size: config.thread_pool_size ?? 1,
    xattr: config.xattr ?? false,
    sandbox: config.sandbox ?? 'namespace',
    ownership: config.ownership ?? 'unprivileged',
    unprivileged_id: config.unprivileged_id ?? DEFAULT_UNPRIVILEGED_ID,
  };
}
