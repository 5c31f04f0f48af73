// SPDX-License-Identifier: Apache-2.0
/** Test helper: a bundle-like rootfs (static busybox, a marker, a symlink out to /etc) and two volumes. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface BundleFixture {
  rootfs: string;
  rwVolume: string;
  roVolume: string;
}

export async function makeBundle(dir: string, marker = 'rootfs-marker'): Promise<BundleFixture> {
  const rootfs = path.join(dir, 'bundle', 'rootfs');
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
  await fs.writeFile(path.join(rootfs, 'etc', 'hostname'), 'container-own\n');
  await fs.writeFile(path.join(rootfs, 'marker'), `${marker}\n`);
  await fs.symlink('/etc', path.join(rootfs, 'escape'));
  const rwVolume = path.join(dir, 'vol-rw');
  const roVolume = path.join(dir, 'vol-ro');
  await fs.mkdir(rwVolume);
  await fs.mkdir(roVolume);
  await fs.writeFile(path.join(rwVolume, 'host-file.txt'), 'written-by-host\n');
  await fs.symlink('/etc', path.join(rwVolume, 'link'));
  await fs.writeFile(path.join(roVolume, 'ro-file.txt'), 'read-only-content\n');
  return { rootfs, rwVolume, roVolume };
}
