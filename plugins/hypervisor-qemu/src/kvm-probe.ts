// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, type Logger } from '@cella/core';
import { confinedCommand } from '@cella/core/process';
import { isPvmHost, kvmDeviceProblem, qemuVersion } from './qemu-binary';
import { rootDiskArgs } from './qemu-command-line';

export interface AccelVerdict {
  accel: 'kvm' | 'tcg';
  reason: string;
  /** True when the verdict came from the cache file, not from a boot. */
  cached: boolean;
}

export interface ProbeOptions {
  qemu: string;
  kernel: string;
  initrd?: string;
  image?: string;
  timeoutMs: number;
  cacheFile: string;
  logger: Logger;
}

/** What the guest's init prints on the console before it powers off when booted with `cella.poweroff=1`. */
export const POWEROFF_MARKER = 'CELLA-POWEROFF';
const KEEP_CONSOLE_BYTES = 64 * 1024;

interface CacheFile {
  version: 1;
  entries: Record<string, { accel: 'kvm' | 'tcg'; reason: string; probedAt: string }>;
}

/** Where the verdicts live under the runtime's cache folder. */
export function accelCacheFile(cacheDir: string): string {
  return path.join(cacheDir, 'hypervisor-qemu', 'accel-probe.json');
}

/** Probes in flight in this process, by cache key: two sandboxes starting together boot once. */
const inFlight = new Map<string, Promise<AccelVerdict>>();

/**
 * Decide between KVM and TCG by booting the guest once under KVM: opening /dev/kvm is not enough
 * (a PVM host opens it, then a stock kernel hangs). The verdict is cached in `cacheFile`, keyed by the
 * host kernel release, the QEMU version and the guest kernel's size and mtime.
 * Throws E_HYPERVISOR_BINARY when QEMU cannot be run at all.
 */
export async function probeAccel(opts: ProbeOptions): Promise<AccelVerdict> {
  const deviceProblem = await kvmDeviceProblem();
  if (deviceProblem) return { accel: 'tcg', reason: deviceProblem, cached: false };
  const version = await qemuVersion(opts.qemu);
  let kernelStat;
  try {
    kernelStat = await fs.stat(opts.kernel);
  } catch (err) {
    return { accel: 'tcg', reason: `the guest kernel cannot be read for a KVM test boot (${(err as NodeJS.ErrnoException).code})`, cached: false };
  }
  const key = JSON.stringify({ host: os.release(), qemu: version, kernel: { size: kernelStat.size, mtimeMs: Math.trunc(kernelStat.mtimeMs) } });
  const hit = (await readCache(opts.cacheFile)).entries[key];
  if (hit) return { accel: hit.accel, reason: hit.reason, cached: true };
  let running = inFlight.get(key);
  if (!running) {
    running = bootUnderKvm(opts).then(async ({ verdict, transient }) => {
      if (!transient) await writeCache(opts.cacheFile, key, verdict, opts.logger);
      return verdict;
    });
    inFlight.set(key, running);
    void running.finally(() => inFlight.delete(key)).catch(() => undefined);
  }
  return running;
}

/** `transient`: the boot could not be tried at all, so the verdict is not worth caching. */
async function bootUnderKvm(opts: ProbeOptions): Promise<{ verdict: AccelVerdict; transient: boolean }> {
  const args = [
    '-machine', 'q35,accel=kvm', '-cpu', 'host', '-smp', '1', '-m', '512M',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-chardev', 'stdio,id=con,signal=off', '-serial', 'chardev:con',
    '-kernel', opts.kernel, '-append', 'console=ttyS0 panic=-1 cella.poweroff=1',
  ];
  if (opts.initrd) args.push('-initrd', opts.initrd);
  if (opts.image) args.push(...rootDiskArgs('q35', opts.image, opts.image.startsWith('/dev/')));
  opts.logger.debug('Booting the guest once under KVM to see whether KVM works', { timeoutMs: opts.timeoutMs });
  const started = Date.now();
  // Should this process die mid-probe, the kernel kills the probe QEMU too (a hung KVM boot would otherwise
  // spin forever). It runs as root: it only tells whether KVM boots the guest, and is over within the timeout.
  const cmd = confinedCommand(opts.qemu, args);
  const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  let stderr = '';
  const keep = (text: string, chunk: Buffer): string => (text + chunk.toString('utf8')).slice(-KEEP_CONSOLE_BYTES);
  child.stdout.on('data', (chunk: Buffer) => { consoleText = keep(consoleText, chunk); });
  child.stderr.on('data', (chunk: Buffer) => { stderr = keep(stderr, chunk); });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const exit = await new Promise<{ code: number | null; signal?: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  const ms = Date.now() - started;
  const tcg = (reason: string, transient = false): { verdict: AccelVerdict; transient: boolean } => ({ verdict: { accel: 'tcg', reason, cached: false }, transient });
  if (exit.error) return tcg(`QEMU could not be started for a KVM test boot (${exit.error.message})`, true);
  if (timedOut) {
    const pvm = (await isPvmHost()) ? '; the host KVM module is kvm_pvm, which needs a PVM-aware guest kernel' : '';
    return tcg(`a test boot under KVM did not finish within ${opts.timeoutMs} ms${pvm}`);
  }
  if (exit.code !== 0) {
    const last = stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return tcg(`QEMU ${how} in a test boot under KVM${last ? `: ${last}` : ''}`);
  }
  if (!consoleText.includes(POWEROFF_MARKER)) {
    return tcg(`a test boot under KVM ended without the guest printing ${POWEROFF_MARKER}`);
  }
  return { verdict: { accel: 'kvm', reason: `a test boot under KVM powered off cleanly in ${ms} ms`, cached: false }, transient: false };
}

/**
 * The latest cached verdict for this host kernel and QEMU version, whatever guest kernel it booted:
 * what `capabilities()` and `cella check` report before a start has probed. Reads only the cache.
 */
export async function cachedAccel(cacheFile: string, qemuVersionLine: string): Promise<{ accel: 'kvm' | 'tcg'; reason: string } | undefined> {
  let latest: { accel: 'kvm' | 'tcg'; reason: string; probedAt: string } | undefined;
  for (const [key, entry] of Object.entries((await readCache(cacheFile)).entries)) {
    try {
      const parsed = JSON.parse(key) as { host?: string; qemu?: string };
      if (parsed.host !== os.release() || parsed.qemu !== qemuVersionLine) continue;
    } catch {
      continue;
    }
    if (!latest || entry.probedAt > latest.probedAt) latest = entry;
  }
  return latest && { accel: latest.accel, reason: latest.reason };
}

async function readCache(file: string): Promise<CacheFile> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as CacheFile;
    if (parsed && parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object') return parsed;
  } catch {
    // missing or unreadable: probe again
  }
  return { version: 1, entries: {} };
}

async function writeCache(file: string, key: string, verdict: AccelVerdict, logger: Logger): Promise<void> {
  try {
    const cache = await readCache(file);
    cache.entries[key] = { accel: verdict.accel, reason: verdict.reason, probedAt: new Date().toISOString() };
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify(cache, undefined, 2)}\n`, 0o644);
  } catch (err) {
    logger.warn('The KVM probe verdict could not be cached', { file, err });
  }
}
