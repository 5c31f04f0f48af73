// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: a real guest for virtio-fs. The kernel and its virtiofs/fuse modules come from the built guest
 * image (/var/cache/cella/images/current: vmlinuz + root.img, modules read out with debugfs, no loop mount);
 * the initramfs is static busybox and a shell /init that mounts the share like the agent does and prints
 * what it sees on the serial console.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_VIRTIOFSD_PATHS } from '../virtiofs-config';
import { probeVirtiofsd, type VirtiofsdBinary, type VirtiofsdFlavour } from '../virtiofsd-binary';

const run = promisify(execFile);

export const GUEST_IMAGE_DIR = process.env.CELLA_TEST_IMAGE_DIR ?? '/var/cache/cella/images/current';
export const GUEST_HOSTNAME = 'guest-own-etc';

/** The guest script: c1 is prepared before boot, c2 while the guest waits for it (mount propagation). */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /etc /tmp /run/cella/shared
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo ${GUEST_HOSTNAME} > /etc/hostname
modprobe virtio_pci
modprobe virtiofs || echo "MODPROBE-FAILED"
if mount -t virtiofs cella-shared /run/cella/shared; then echo "VFS-MOUNTED"; else echo "VFS-MOUNT-FAILED"; poweroff -f; fi
R=/run/cella/shared/c1
echo "ROOTFS:$(cat $R/rootfs/marker)"
echo "HOST-FILE:$(cat $R/mounts/0/host-file.txt)"
echo "RO-FILE:$(cat $R/mounts/1/ro-file.txt)"
echo written-by-guest > $R/mounts/0/guest-file.txt && echo "RW-WRITE-OK"
(echo x > $R/mounts/1/refused.txt) 2>/tmp/err; echo "RO-WRITE:$(cat /tmp/err)"
(echo x > $R/rootfs/refused.txt) 2>/tmp/err; echo "RO-ROOTFS-WRITE:$(cat /tmp/err)"
echo "ESCAPE-ROOTFS:$(cat $R/rootfs/escape/hostname 2>&1)"
echo "ESCAPE-VOLUME:$(cat $R/mounts/0/link/hostname 2>&1)"
echo "WAITING-FOR-C2"
i=0
while [ ! -f /run/cella/shared/c2/rootfs/marker ] && [ $i -lt 200 ]; do sleep 0.2; i=$((i + 1)); done
echo "SECOND:$(cat /run/cella/shared/c2/rootfs/marker 2>&1)"
sync
umount /run/cella/shared && echo "VFS-UNMOUNTED"
poweroff -f
`;

export interface GuestFiles { kernel: string; initrd: string }

/** Build the initramfs in `dir`; undefined (with a reason) when the guest image is not there. */
export async function buildVirtiofsGuest(dir: string): Promise<GuestFiles | { skip: string }> {
  const kernel = path.join(GUEST_IMAGE_DIR, 'vmlinuz');
  const rootImg = path.join(GUEST_IMAGE_DIR, 'root.img');
  for (const f of [kernel, rootImg, '/bin/busybox']) {
    if (!(await fs.stat(f).catch(() => undefined))) return { skip: `${f} does not exist (build the guest image first)` };
  }
  const root = path.join(dir, 'initramfs-root');
  await fs.mkdir(path.join(root, 'bin'), { recursive: true });
  await fs.mkdir(path.join(root, 'lib'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(root, 'bin', 'busybox'));
  await fs.chmod(path.join(root, 'bin', 'busybox'), 0o755);
  await fs.writeFile(path.join(root, 'init'), INIT, { mode: 0o755 });
  await run('debugfs', ['-R', `rdump /lib/modules ${path.join(root, 'lib')}`, rootImg]);
  const initrd = path.join(dir, 'initramfs.gz');
  await run('sh', ['-c', 'find . | cpio -o -H newc --quiet | gzip -1 > "$1"', 'sh', initrd], { cwd: root });
  await fs.rm(root, { recursive: true, force: true });
  return { kernel, initrd };
}

/** The first virtiofsd of `flavour` among the default places (Cella's Rust one, the distribution's, QEMU's C one). */
export async function findVirtiofsd(flavour: VirtiofsdFlavour): Promise<VirtiofsdBinary | undefined> {
  for (const p of DEFAULT_VIRTIOFSD_PATHS) {
    const bin = await probeVirtiofsd(p).catch(() => undefined);
    if (bin?.flavour === flavour) return bin;
  }
  return undefined;
}

/** QEMU (TCG) with shared memfd RAM and a vhost-user-fs device on `socketPath`; console to `consoleLog`. */
export function bootVirtiofsGuest(g: GuestFiles, socketPath: string, consoleLog: string): ChildProcess {
  const args = [
    '-accel', 'tcg', '-machine', 'q35', '-cpu', 'max', '-smp', '1', '-m', '512M', '-nodefaults', '-no-reboot', '-display', 'none',
    '-kernel', g.kernel, '-initrd', g.initrd, '-append', 'console=ttyS0 panic=-1 quiet loglevel=3',
    '-serial', `file:${consoleLog}`,
    '-object', 'memory-backend-memfd,id=mem,size=512M,share=on', '-numa', 'node,memdev=mem',
    '-chardev', `socket,id=fs0,path=${socketPath}`, '-device', 'vhost-user-fs-pci,chardev=fs0,tag=cella-shared',
  ];
  return spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
