// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QemuErrors } from './qemu-errors';

const versions = new Map<string, Promise<string>>();

function missing(configured: string, cause?: unknown): Error {
  return QemuErrors.HYPERVISOR_BINARY.create('The QEMU binary cannot be run.', {
    cause,
    details: { path: configured },
    hint: 'Install qemu-system-x86 or set `path` under [plugins."hypervisor.qemu"].',
  });
}

/** The absolute path of the configured binary (looked up in PATH when it is a bare name). Throws E_HYPERVISOR_BINARY. */
export async function resolveQemuBinary(configured: string): Promise<string> {
  const candidates = configured.includes('/')
    ? [path.resolve(configured)]
    : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean).map((dir) => path.join(dir, configured));
  for (const candidate of candidates) {
    try {
      const st = await fs.stat(candidate);
      if (!st.isFile()) continue;
      await fs.access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next folder
    }
  }
  throw missing(configured);
}

/** First line of `<binary> -version` ("QEMU emulator version 7.2.22 (…)"), memoised per binary. Throws E_HYPERVISOR_BINARY. */
export function qemuVersion(binary: string): Promise<string> {
  let version = versions.get(binary);
  if (!version) {
    version = new Promise<string>((resolve, reject) => {
      execFile(binary, ['-version'], { timeout: 10_000, maxBuffer: 64 * 1024 }, (err, stdout) => {
        if (err) reject(missing(binary, err));
        else resolve(stdout.split('\n')[0]!.trim());
      });
    });
    versions.set(binary, version);
    version.catch(() => versions.delete(binary));
  }
  return version;
}

/** Why /dev/kvm cannot be used, or undefined when it opens for reading and writing. */
export async function kvmDeviceProblem(device = '/dev/kvm'): Promise<string | undefined> {
  try {
    const handle = await fs.open(device, 'r+');
    await handle.close();
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${device} does not exist` : `${device} cannot be opened for reading and writing (${code ?? String(err)})`;
  }
}

/** True when the host's KVM module is PVM (pagetable-based VM): only PVM-aware guest kernels boot under it. */
export async function isPvmHost(): Promise<boolean> {
  try {
    await fs.access('/sys/module/kvm_pvm');
    return true;
  } catch {
    return false;
  }
}
