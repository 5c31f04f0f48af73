// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_FILES } from './image-store';
import { GUEST_MODULES, STAGE1_MODULES } from './image-key';
import type { PreparedKernel } from './kernel-source';
import { writeNewcArchive } from './newc-archive';
import { runCommand } from './run-command';
import { copyInto, makeDirs, stageBinary, stageBusybox, stageModules, treeSize, type StagedModules } from './stage-files';

/** What goes into the image, all as host paths. */
export interface AssemblyPlan {
  key: string;
  kernel: PreparedKernel;
  busybox: string;
  crun: string;
  node: string;
  agentBundle: string;
  /** A folder holding `node_modules/` for the agent (node-netlink and its native addons). */
  agentNodeModules: string;
  initStage1: string;
  initStage2: string;
}

export interface AssemblyResult {
  sizes: Record<string, number>;
  modules: StagedModules;
}

/** Reports one step: the builder numbers and times it. */
export type StepReporter = (message: string) => void;

const ROOT_MOUNT_POINTS = ['proc', 'sys', 'dev', 'run', 'tmp'];
const INITRD_MOUNT_POINTS = ['proc', 'sys', 'dev', 'newroot'];
const MiB = 1024 * 1024;

/**
 * Lay out and write the initramfs and the root image into `outDir`, staging in `workDir`.
 * Calls `step` once after each of its four steps.
 */
export async function assembleImage(plan: AssemblyPlan, workDir: string, outDir: string, step: StepReporter): Promise<AssemblyResult> {
  const rootStage = join(workDir, 'root');
  const initrdStage = join(workDir, 'initrd');
  const { release, modulesDir } = plan.kernel;

  const modules = await stageModules(rootStage, modulesDir, release, GUEST_MODULES);
  const early = await stageModules(initrdStage, modulesDir, release, STAGE1_MODULES);
  const notes = [
    modules.builtin.length ? `built in: ${modules.builtin.join(' ')}` : '',
    modules.missing.length ? `absent, skipped: ${modules.missing.join(' ')}` : '',
  ].filter((n) => n !== '');
  step(`modules: ${modules.included.length} of ${GUEST_MODULES.length} as ${modules.files.length} files (${mib(modules.bytes)})` +
    `, ${early.files.length} in the initramfs${notes.length ? `; ${notes.join('; ')}` : ''}`);

  await stageBusybox(initrdStage, plan.busybox);
  await copyInto(initrdStage, plan.initStage1, '/init', 0o755);
  await makeDirs(initrdStage, INITRD_MOUNT_POINTS);
  const initrdBytes = await writeNewcArchive(initrdStage, join(outDir, IMAGE_FILES.initrd), [
    { path: 'dev/console', kind: 'char', mode: 0o600, major: 5, minor: 1 },
  ]);
  step(`initramfs: ${mib(initrdBytes)} compressed`);

  await stageBusybox(rootStage, plan.busybox);
  await stageBinary(rootStage, plan.crun, '/usr/bin/crun');
  await stageBinary(rootStage, plan.node, '/usr/bin/node');
  await copyInto(rootStage, plan.agentBundle, '/cella/agent.js', 0o644);
  await fs.cp(join(plan.agentNodeModules, 'node_modules'), join(rootStage, 'cella', 'node_modules'), { recursive: true });
  await copyInto(rootStage, plan.initStage2, '/sbin/cella-init', 0o755);
  await makeDirs(rootStage, ROOT_MOUNT_POINTS);
  const staged = await treeSize(rootStage);
  step(`root folder: ${mib(staged.bytes)} staged in ${staged.files} files`);

  const imagePath = join(outDir, IMAGE_FILES.image);
  // Room for metadata and inodes on top of the file data; the file is sparse, so slack costs little.
  const sizeMiB = Math.ceil((staged.bytes * 1.1) / MiB) + 16;
  await runCommand('mkfs.ext4', [
    '-q', '-F', '-L', 'cella-root', '-b', '4096', '-m', '0', '-O', '^has_journal', '-U', uuidFromKey(plan.key),
    '-E', 'root_owner=0:0', '-d', rootStage, imagePath, `${sizeMiB}M`,
  ]);
  const imageBytes = (await fs.stat(imagePath)).size;
  step(`root image: ${mib(imageBytes)} ext4 (read-only root)`);

  await fs.copyFile(plan.kernel.vmlinuz, join(outDir, IMAGE_FILES.kernel));
  await fs.chmod(join(outDir, IMAGE_FILES.kernel), 0o644);
  const kernelBytes = (await fs.stat(join(outDir, IMAGE_FILES.kernel))).size;
  return {
    sizes: { [IMAGE_FILES.kernel]: kernelBytes, [IMAGE_FILES.initrd]: initrdBytes, [IMAGE_FILES.image]: imageBytes },
    modules,
  };
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function uuidFromKey(key: string): string {
  const h = key.slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
