// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { ImageErrors } from './image-errors';
import { runCommand } from './run-command';
import { exists } from './stage-files';

/** A kernel named in the config instead of Debian's package. */
export interface KernelSpec {
  path: string;
  /** Its `lib/modules/<kernel release>` folder. */
  modulesDir: string;
}

/** What identifies the kernel for the image key, found without downloading anything. */
export interface KernelIdentity {
  keyPart: string;
  /** For progress lines: package and version, or the file. */
  label: string;
  deb?: { pkg: string; version: string; sha256: string; fileName: string };
}

export interface PreparedKernel {
  vmlinuz: string;
  modulesDir: string;
  release: string;
  /** Bytes downloaded (0 when the package was in the cache or the kernel is a file). */
  downloaded: number;
}

export const DEFAULT_KERNEL_PACKAGE = 'linux-image-cloud-amd64';
const APT_HINT = 'run `apt-get update` (scripts/setup-host.sh does it), or set a kernel path in the config';

/** Finds, downloads and unpacks the guest kernel: Debian's cloud kernel by default. */
export class KernelSource {
  constructor(private readonly downloadsDir: string, private readonly spec?: KernelSpec) {}

  async identify(): Promise<KernelIdentity> {
    if (this.spec) return this.identifyFile(this.spec);
    const meta = await aptShow(DEFAULT_KERNEL_PACKAGE);
    const dep = /^Depends:\s*(linux-image-[^\s,|()]+)(?:\s*\(=\s*([^\s)]+)\))?/m.exec(meta);
    if (!dep) {
      throw ImageErrors.IMAGE_KERNEL.create('The kernel meta package names no kernel package', {
        details: { package: DEFAULT_KERNEL_PACKAGE },
      });
    }
    const pkg = dep[1] as string;
    const show = await aptShow(dep[2] ? `${pkg}=${dep[2]}` : pkg);
    const version = /^Version:\s*(\S+)$/m.exec(show)?.[1];
    const sha256 = /^SHA256:\s*([0-9a-f]{64})$/m.exec(show)?.[1];
    if (!version || !sha256) {
      throw ImageErrors.IMAGE_KERNEL.create('Apt lists no version or checksum for the kernel package', { details: { package: pkg } });
    }
    const fileName = basename(/^Filename:\s*(\S+)$/m.exec(show)?.[1] ?? `${pkg}_${version.replace(':', '%3a')}_amd64.deb`);
    return { keyPart: `deb:${pkg}=${version}:${sha256}`, label: `${pkg} ${version}`, deb: { pkg, version, sha256, fileName } };
  }

  /** Make the kernel available below `workDir`: download (or reuse) the package and unpack it. */
  async prepare(id: KernelIdentity, workDir: string): Promise<PreparedKernel> {
    if (!id.deb) {
      const spec = this.spec as KernelSpec;
      return { vmlinuz: spec.path, modulesDir: spec.modulesDir, release: await fileRelease(spec), downloaded: 0 };
    }
    const { deb, downloaded } = await this.download(id.deb);
    const root = join(workDir, 'kernel-pkg');
    await runCommand('dpkg-deb', ['-x', deb, root]);
    const vmlinuz = (await fs.readdir(join(root, 'boot'))).find((n) => n.startsWith('vmlinuz-'));
    if (!vmlinuz) throw ImageErrors.IMAGE_KERNEL.create('The kernel package holds no boot/vmlinuz-*', { details: { deb } });
    const release = vmlinuz.slice('vmlinuz-'.length);
    for (const dir of [join(root, 'lib/modules', release), join(root, 'usr/lib/modules', release)]) {
      if (!(await exists(dir))) continue;
      // The package ships no modules.dep (its postinst runs depmod); make it for the unpacked tree.
      if (!(await exists(join(dir, 'modules.dep')))) await runCommand('depmod', ['-b', root, release]);
      return { vmlinuz: join(root, 'boot', vmlinuz), modulesDir: dir, release, downloaded };
    }
    throw ImageErrors.IMAGE_KERNEL.create('The kernel package holds no modules folder', { details: { deb, release } });
  }

  private async download(d: NonNullable<KernelIdentity['deb']>): Promise<{ deb: string; downloaded: number }> {
    const target = join(this.downloadsDir, d.fileName);
    if ((await exists(target)) && (await sha256File(target)) === d.sha256) return { deb: target, downloaded: 0 };
    await fs.mkdir(this.downloadsDir, { recursive: true });
    const tmp = await fs.mkdtemp(join(this.downloadsDir, '.dl-'));
    try {
      await runCommand('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', `${d.pkg}=${d.version}`], { cwd: tmp });
      const got = (await fs.readdir(tmp)).find((n) => n.endsWith('.deb'));
      if (!got) throw ImageErrors.IMAGE_KERNEL.create('Apt downloaded no kernel package', { details: { package: d.pkg, dir: tmp } });
      const sum = await sha256File(join(tmp, got));
      if (sum !== d.sha256) {
        throw ImageErrors.IMAGE_KERNEL.create('The downloaded kernel package has a wrong checksum', {
          details: { package: d.pkg, expected: d.sha256, actual: sum },
        });
      }
      await fs.rename(join(tmp, got), target);
      return { deb: target, downloaded: (await fs.stat(target)).size };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  private async identifyFile(spec: KernelSpec): Promise<KernelIdentity> {
    const k = await statOrThrow(spec.path, 'The configured kernel file is missing');
    const dep = await statOrThrow(join(spec.modulesDir, 'modules.dep'), 'The configured kernel modules folder has no modules.dep');
    return {
      keyPart: `file:${spec.path}:${k.size}:${k.mtimeMs}|modules:${spec.modulesDir}:${dep.size}:${dep.mtimeMs}`,
      label: spec.path,
    };
  }
}

/** The release a bzImage names in its setup header (`kernel_version`), if it has one. */
export function bzImageRelease(head: Buffer): string | undefined {
  if (head.length < 0x210 || head.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const off = head.readUInt16LE(0x20e);
  if (off === 0 || off + 0x200 >= head.length) return undefined;
  const end = head.indexOf(0, off + 0x200);
  const text = head.toString('latin1', off + 0x200, end < 0 ? head.length : end);
  return text.split(' ')[0] || undefined;
}

async function fileRelease(spec: KernelSpec): Promise<string> {
  const fromDir = basename(spec.modulesDir);
  const fh = await fs.open(spec.path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const release = bzImageRelease(head.subarray(0, bytesRead));
    if (release && release !== fromDir) {
      throw ImageErrors.IMAGE_KERNEL.create('The kernel and its modules folder are of different releases', {
        details: { kernel: spec.path, kernelRelease: release, modulesDir: spec.modulesDir },
      });
    }
    return release ?? fromDir;
  } finally {
    await fh.close();
  }
}

/** The candidate version's stanza (`apt-cache show --no-all-versions`); each call reads apt's lists (≈1 s). */
async function aptShow(spec: string): Promise<string> {
  const res = await runCommand('apt-cache', ['show', '--no-all-versions', spec], { okStatus: [0, 100], env: { ...process.env, LC_ALL: 'C' } });
  if (res.status !== 0 || res.stdout.trim() === '') {
    throw ImageErrors.IMAGE_KERNEL.create('Apt knows no kernel package', { details: { package: spec }, hint: APT_HINT });
  }
  return res.stdout;
}

async function statOrThrow(path: string, message: string): Promise<import('node:fs').Stats> {
  try {
    return await fs.stat(path);
  } catch (err) {
    throw ImageErrors.IMAGE_KERNEL.create(message, { cause: err, details: { path } });
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
