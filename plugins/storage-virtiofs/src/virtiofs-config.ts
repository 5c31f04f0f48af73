// SPDX-License-Identifier: Apache-2.0

export type VirtiofsCacheMode = 'never' | 'metadata' | 'auto' | 'always';
export type VirtiofsSandboxMode = 'namespace' | 'chroot' | 'none';

/** Options of `[plugins."storage.virtiofs"]` (schema/config.schema.json). */
export interface VirtiofsConfig {
  /** Unset: the first existing of DEFAULT_VIRTIOFSD_PATHS. */
  virtiofsd_path?: string;
  extra_args: string[];
  cache_mode: VirtiofsCacheMode;
  thread_pool_size: number;
  xattr: boolean;
  sandbox: VirtiofsSandboxMode;
}

/** Where distributions put virtiofsd: Debian 13's Rust package, then QEMU's C daemon (Debian 12). */
export const DEFAULT_VIRTIOFSD_PATHS: readonly string[] = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];

/** The config with the schema's defaults filled in (the loader fills them too; tests and checks may not). */
export function resolveVirtiofsConfig(config: Partial<VirtiofsConfig>): VirtiofsConfig {
  return {
    virtiofsd_path: config.virtiofsd_path,
    extra_args: config.extra_args ?? [],
    cache_mode: config.cache_mode ?? 'auto',
    thread_pool_size: config.thread_pool_size ?? 1,
    xattr: config.xattr ?? false,
    sandbox: config.sandbox ?? 'namespace',
  };
}
