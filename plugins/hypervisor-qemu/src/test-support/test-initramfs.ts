// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper: a tiny gzip'd initramfs (static busybox + a shell /init) for the QEMU integration tests.
 * The init prints BOOT_MARKER; with `cella.poweroff=1` it prints CELLA-POWEROFF and powers off (the
 * KVM probe's contract); with `cella.test.flood=1` it writes numbered lines to its console forever (a guest
 * filling the host's console log); with `cella.test.hold=1` it stays up and reports PCI devices that come and go;
 * otherwise it powers off.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BOOT_MARKER = 'CELLA-TEST-BOOTED';
/** Printed once the held guest has listed its PCI devices: hot-plug after this to see PCI-ADDED. */
export const WATCH_MARKER = 'CELLA-TEST-WATCHING-PCI';

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo ${BOOT_MARKER}
if grep -q 'cella.poweroff=1' /proc/cmdline; then
  echo CELLA-POWEROFF
  poweroff -f
fi
if grep -q 'cella.test.flood=1' /proc/cmdline; then
  i=0
  while true; do i=$((i+1)); echo "CELLA-FLOOD $i ................................................................"; done
fi
if grep -q 'cella.test.hold=1' /proc/cmdline; then
  ls /sys/bus/pci/devices > /tmp/pci.before
  echo ${WATCH_MARKER}
  while true; do
    ls /sys/bus/pci/devices > /tmp/pci.now
    for d in $(cat /tmp/pci.now); do grep -qx "$d" /tmp/pci.before || echo "PCI-ADDED $d $(cat /sys/bus/pci/devices/$d/vendor) $(cat /sys/bus/pci/devices/$d/device)"; done
    for d in $(cat /tmp/pci.before); do grep -qx "$d" /tmp/pci.now || echo "PCI-REMOVED $d"; done
    mv /tmp/pci.now /tmp/pci.before
    sleep 1
  done
fi
poweroff -f
`;

/** Build `<dir>/initramfs.gz` from /bin/busybox (busybox-static) and return its path. */
export async function buildTestInitramfs(dir: string, busybox = '/bin/busybox'): Promise<string> {
  const root = path.join(dir, 'initramfs-root');
  await fs.mkdir(path.join(root, 'bin'), { recursive: true });
  await fs.mkdir(path.join(root, 'tmp'), { recursive: true });
  await fs.copyFile(busybox, path.join(root, 'bin', 'busybox'));
  await fs.chmod(path.join(root, 'bin', 'busybox'), 0o755);
  await fs.writeFile(path.join(root, 'init'), INIT, { mode: 0o755 });
  const out = path.join(dir, 'initramfs.gz');
  await run('sh', ['-c', 'find . | cpio -o -H newc --quiet | gzip -1 > "$1"', 'sh', out], { cwd: root });
  await fs.rm(root, { recursive: true, force: true });
  return out;
}
