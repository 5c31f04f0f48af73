// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { VirtiofsErrors } from './virtiofs-errors';

/** Run mount(8)/umount(8) (Node has no mount(2)); a failure is E_STORAGE_MOUNT with the command's stderr. */
export function runMount(command: 'mount' | 'umount', args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      reject(VirtiofsErrors.STORAGE_MOUNT.create(`The host ${command} command failed`, {
        cause: err, details: { command, args, stderr: String(stderr).trim().slice(0, 512) },
      }));
    });
  });
}

/** Decode the octal escapes /proc/self/mounts uses for spaces, tabs, newlines and backslashes. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fs.readFile('/proc/self/mounts', 'utf8');
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[1];
    if (field === undefined) continue;
    const target = unescapeMountPath(field);
    if (target === dir || target.startsWith(`${dir}/`)) found.add(target);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** Unmount `target` (every mount stacked on it), lazily when busy; a target not mounted is fine. */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 16 && (await mountsUnder(target)).includes(target); i++) {
    await runMount('umount', [target]).catch(() => runMount('umount', ['-l', target]));
  }
}

/**
 * Bind-mount `source` on `target` (an empty folder or file that exists), then remount it read-only when asked.
 * `recursive` takes the mounts below `source` along (OCI `rbind`).
 */
export async function bindMount(source: string, target: string, opts: { readOnly: boolean; recursive: boolean }): Promise<void> {
  await runMount('mount', [opts.recursive ? '--rbind' : '--bind', source, target]);
  if (opts.readOnly) await runMount('mount', ['-o', 'remount,bind,ro', target]);
}

/**
 * Remove a folder made by this plugin, refusing while anything is still mounted below it: a recursive delete
 * would walk into a bind mount and delete the host files behind it.
 */
export async function removeUnmountedTree(dir: string): Promise<void> {
  const left = await mountsUnder(dir);
  if (left.length > 0) {
    throw VirtiofsErrors.STORAGE_MOUNT.create('A folder cannot be removed while mounts remain below it', {
      details: { folder: dir, mounts: left.slice(0, 8) },
    });
  }
  await fs.rm(dir, { recursive: true, force: true });
}
