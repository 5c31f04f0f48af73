// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import type { VirtiofsCacheMode, VirtiofsConfig, VirtiofsOwnership, VirtiofsSandboxMode } from './virtiofs-config';
import { DEFAULT_VIRTIOFSD_PATHS } from './virtiofs-config';
import { optionError, VirtiofsErrors } from './virtiofs-errors';
import { ownershipArgs } from './virtiofsd-ownership';

/** `rust`: the virtiofsd project (`--shared-dir`); `c`: QEMU's legacy daemon (`-o source=`). */
export type VirtiofsdFlavour = 'rust' | 'c';

export interface VirtiofsdBinary {
  path: string;
  flavour: VirtiofsdFlavour;
  /** The first line of `--version`. */
  version: string;
}

export interface VirtiofsdArgsOptions {
  socketPath: string;
  sharedDir: string;
  cache: VirtiofsCacheMode;
  threadPoolSize: number;
  xattr: boolean;
  sandbox: VirtiofsSandboxMode;
  ownership: VirtiofsOwnership;
  /** The host id of what the guest writes, with `unprivileged` ownership. */
  unprivilegedId: number;
  extraArgs: readonly string[];
}

/** Tell the flavour from `--version` or `--help` output; undefined when neither kind is recognised. */
export function detectFlavour(text: string): VirtiofsdFlavour | undefined {
  if (/--shared-dir\b/.test(text)) return 'rust';
  if (/-o source=|QEMU Project|FUSE kernel interface|virtiofsd version \d/.test(text)) return 'c';
  if (/^virtiofsd \d+\.\d+/m.test(text)) return 'rust';
  return undefined;
}

/** The command line for one virtiofsd serving `sharedDir` on `socketPath`, in the flavour's own syntax. */
export function buildVirtiofsdArgs(flavour: VirtiofsdFlavour, o: VirtiofsdArgsOptions): string[] {
  if (!Number.isInteger(o.threadPoolSize) || o.threadPoolSize < 0) {
    throw optionError('thread_pool_size', String(o.threadPoolSize), 'an integer of 0 or more');
  }
  if (flavour === 'rust') {
    const args = ['--socket-path', o.socketPath, '--shared-dir', o.sharedDir, '--cache', o.cache, '--sandbox', o.sandbox];
    args.push('--thread-pool-size', String(o.threadPoolSize));
    if (o.xattr) args.push('--xattr');
    return [...args, ...ownershipArgs(flavour, o.ownership, o.unprivilegedId), ...o.extraArgs];
  }
  // QEMU's C virtiofsd: `never` is called `none`; it has no `metadata` cache and no unsandboxed mode.
  if (o.cache === 'metadata') {
    throw optionError('cache_mode', o.cache, 'never, auto or always (QEMU\'s C virtiofsd has no metadata cache)');
  }
  if (o.sandbox === 'none') {
    throw optionError('sandbox', o.sandbox, 'namespace or chroot (QEMU\'s C virtiofsd always confines itself)');
  }
  const cache = o.cache === 'never' ? 'none' : o.cache;
  ownershipArgs(flavour, o.ownership, o.unprivilegedId);
  return [
    `--socket-path=${o.socketPath}`, '-o', `source=${o.sharedDir}`, '-o', `cache=${cache}`,
    '-o', `sandbox=${o.sandbox}`, '-o', o.xattr ? 'xattr' : 'no_xattr',
    `--thread-pool-size=${o.threadPoolSize}`, ...o.extraArgs,
  ];
}

/** buildVirtiofsdArgs with the options of `[plugins."storage.virtiofs"]` (the driver and `cella check` share it). */
export function virtiofsdArgsFor(flavour: VirtiofsdFlavour, config: VirtiofsConfig, socketPath: string, sharedDir: string): string[] {
  return buildVirtiofsdArgs(flavour, {
    socketPath, sharedDir, cache: config.cache_mode, threadPoolSize: config.thread_pool_size, xattr: config.xattr,
    sandbox: config.sandbox, ownership: config.ownership, unprivilegedId: config.unprivileged_id, extraArgs: config.extra_args,
  });
}

function isFile(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isFile(), () => false);
}

function notFound(candidates: readonly string[]): Error {
  return VirtiofsErrors.STORAGE_VIRTIOFSD.create('No virtiofsd was found', {
    details: { searched: candidates },
    hint: 'Run scripts/setup-virtiofsd.sh (Debian 13\'s virtiofsd), install virtiofsd, or set virtiofsd_path under [plugins."storage.virtiofs"].',
  });
}

/** The configured path, or the first candidate that exists; none existing is an E_STORAGE_VIRTIOFSD error. */
export async function resolveVirtiofsdPath(configured: string | undefined, candidates: readonly string[] = DEFAULT_VIRTIOFSD_PATHS): Promise<string> {
  if (configured !== undefined) return configured;
  for (const p of candidates) {
    if (await isFile(p)) return p;
  }
  throw notFound(candidates);
}

function runText(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 5000 }, (_err, stdout, stderr) => resolve(`${String(stdout)}\n${String(stderr)}`));
  });
}

/**
 * The configured binary, or else the first candidate that exists and answers as a virtiofsd (a broken one,
 * e.g. Cella's wrapper with its libraries gone, is passed over); checked to be executable, with its flavour
 * and version. When candidates exist but none answers, the first one's error is thrown.
 */
export async function probeVirtiofsd(configured: string | undefined, candidates: readonly string[] = DEFAULT_VIRTIOFSD_PATHS): Promise<VirtiofsdBinary> {
  if (configured !== undefined) return probePath(configured);
  let firstError: unknown;
  for (const p of candidates) {
    if (!(await isFile(p))) continue;
    try {
      return await probePath(p);
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError ?? notFound(candidates);
}

async function probePath(path: string): Promise<VirtiofsdBinary> {
  const stat = await fs.stat(path).catch(() => undefined);
  const executable = stat?.isFile() === true && (await fs.access(path, constants.X_OK).then(() => true, () => false));
  if (!executable) {
    throw VirtiofsErrors.STORAGE_VIRTIOFSD.create('The virtiofsd binary is missing or not executable', {
      details: { path, exists: stat !== undefined },
      hint: 'Set virtiofsd_path under [plugins."storage.virtiofs"] to an executable virtiofsd.',
    });
  }
  const versionText = await runText(path, ['--version']);
  const flavour = detectFlavour(versionText) ?? detectFlavour(await runText(path, ['--help']));
  if (flavour === undefined) {
    throw VirtiofsErrors.STORAGE_VIRTIOFSD.create('The virtiofsd binary is of an unknown kind', {
      details: { path, version: versionText.trim().slice(0, 200) },
      hint: 'Use the Rust virtiofsd or QEMU\'s C virtiofsd.',
    });
  }
  const version = versionText.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'unknown';
  return { path, flavour, version };
}
