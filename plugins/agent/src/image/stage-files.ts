// SPDX-License-Identifier: Apache-2.0
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { ImageErrors } from './image-errors';
import { parseModulesBuiltin, parseModulesDep, selectModules, type ModuleSelection } from './module-deps';
import { runCommand } from './run-command';
import { sharedLibraries } from './shared-libs';

/** Helpers that put host files into a staged guest folder (the future initramfs or root image). */

/** Copy a host file (symlinks followed) to `guestPath` inside `stageRoot`; returns its size. */
export async function copyInto(stageRoot: string, hostPath: string, guestPath: string, mode?: number): Promise<number> {
  const dest = join(stageRoot, guestPath);
  await fs.mkdir(dirname(dest), { recursive: true });
  let st;
  try {
    st = await fs.stat(hostPath);
  } catch (err) {
    throw ImageErrors.IMAGE_INPUT.create('A file for the guest image is missing', { cause: err, details: { path: hostPath } });
  }
  await fs.copyFile(hostPath, dest, fsConstants.COPYFILE_FICLONE);
  await fs.chmod(dest, mode ?? st.mode & 0o7777);
  return st.size;
}

/** Copy a binary and every shared library it loads (at the same paths as on the host). */
export async function stageBinary(stageRoot: string, hostPath: string, guestPath: string): Promise<number> {
  let bytes = await copyInto(stageRoot, hostPath, guestPath, 0o755);
  for (const lib of await sharedLibraries(hostPath)) {
    if (await exists(join(stageRoot, lib))) continue;
    bytes += await copyInto(stageRoot, lib, lib);
  }
  return bytes;
}

/** Busybox at /bin/busybox plus one symlink per applet (`busybox --list-full`). */
export async function stageBusybox(stageRoot: string, busybox: string): Promise<number> {
  const bytes = await stageBinary(stageRoot, busybox, '/bin/busybox');
  const { stdout } = await runCommand(busybox, ['--list-full']);
  for (const applet of stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    const link = join(stageRoot, applet);
    if (await exists(link)) continue;
    await fs.mkdir(dirname(link), { recursive: true });
    await fs.symlink('/bin/busybox', link);
  }
  return bytes;
}

export interface StagedModules extends ModuleSelection {
  bytes: number;
}

/**
 * Copy the named modules (with dependencies) from `modulesDir` (a `lib/modules/<kver>` folder) into
 * `stageRoot/lib/modules/<kver>` with the kernel's order/builtin files, then run `depmod -b`.
 */
export async function stageModules(stageRoot: string, modulesDir: string, kernelRelease: string, names: readonly string[]): Promise<StagedModules> {
  let depText: string;
  try {
    depText = await fs.readFile(join(modulesDir, 'modules.dep'), 'utf8');
  } catch (err) {
    throw ImageErrors.IMAGE_KERNEL.create('The kernel modules folder has no modules.dep', {
      cause: err,
      details: { modulesDir },
      hint: `run \`depmod -b <root> ${kernelRelease}\` for that kernel, or name another modules folder`,
    });
  }
  const builtinText = await fs.readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  const sel = selectModules(names, parseModulesDep(depText), parseModulesBuiltin(builtinText));
  const guestDir = `/lib/modules/${kernelRelease}`;
  let bytes = 0;
  for (const rel of sel.files) bytes += await copyInto(stageRoot, join(modulesDir, rel), join(guestDir, rel), 0o644);
  for (const meta of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
    if (await exists(join(modulesDir, meta))) bytes += await copyInto(stageRoot, join(modulesDir, meta), join(guestDir, meta), 0o644);
  }
  await fs.mkdir(join(stageRoot, guestDir), { recursive: true });
  await runCommand('depmod', ['-b', stageRoot, kernelRelease]);
  return { ...sel, bytes };
}

/** Create empty directories (mount points) inside the stage. */
export async function makeDirs(stageRoot: string, dirs: readonly string[]): Promise<void> {
  for (const d of dirs) await fs.mkdir(join(stageRoot, d), { recursive: true });
}

/** Total size of the regular files below `dir`. */
export async function treeSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await fs.lstat(join(entry.parentPath, entry.name))).size;
    files += 1;
  }
  return { bytes, files };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
