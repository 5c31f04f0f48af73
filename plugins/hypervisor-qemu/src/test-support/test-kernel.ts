// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: a real guest kernel for the QEMU integration tests. Uses the runtime's kernel cache when it
 * is there, otherwise downloads Debian's cloud kernel package once into a test cache and unpacks vmlinuz.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the runtime keeps its kernel (written by `cella image build`). */
export const RUNTIME_KERNEL = '/var/cache/cella/kernel/vmlinuz';
/** Where this helper keeps the kernel it downloaded. */
export const TEST_KERNEL_CACHE = '/var/cache/cella/test-kernel';

export type TestKernel = { path: string } | { skip: string };

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A bootable kernel, or why none can be had (the caller skips with that reason). */
export async function findTestKernel(): Promise<TestKernel> {
  const fromEnv = process.env.CELLA_TEST_KERNEL;
  if (fromEnv) return (await exists(fromEnv)) ? { path: fromEnv } : { skip: `CELLA_TEST_KERNEL=${fromEnv} does not exist` };
  if (await exists(RUNTIME_KERNEL)) return { path: RUNTIME_KERNEL };
  const cached = path.join(TEST_KERNEL_CACHE, 'vmlinuz');
  if (await exists(cached)) return { path: cached };
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-test-kernel-'));
  try {
    const { stdout } = await run('apt-cache', ['depends', 'linux-image-cloud-amd64']);
    const pkg = /Depends: (linux-image-\S+)/.exec(stdout)?.[1];
    if (!pkg) return { skip: 'apt-cache names no linux-image package for linux-image-cloud-amd64' };
    await run('apt-get', ['download', pkg], { cwd: work, timeout: 300_000 });
    const deb = (await fs.readdir(work)).find((f) => f.endsWith('.deb'));
    if (!deb) return { skip: `apt-get download ${pkg} produced no .deb` };
    await run('dpkg-deb', ['-x', deb, 'x'], { cwd: work, timeout: 120_000 });
    const boot = path.join(work, 'x', 'boot');
    const vmlinuz = (await fs.readdir(boot)).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) return { skip: `${pkg} holds no boot/vmlinuz-*` };
    await fs.mkdir(TEST_KERNEL_CACHE, { recursive: true });
    // Copy then rename: a second test run racing this one never boots half a kernel.
    const tmp = `${cached}.${process.pid}.tmp`;
    await fs.copyFile(path.join(boot, vmlinuz), tmp);
    await fs.rename(tmp, cached);
    return { path: cached };
  } catch (err) {
    return { skip: `no guest kernel could be fetched (${(err as Error).message.split('\n')[0]})` };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
