// SPDX-License-Identifier: Apache-2.0
import { closeSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { SyscallNapi } from './native-modules';

/**
 * Which character device belongs to a macvtap. The kernel names the device node /dev/tap<ifindex>, but
 * ifindexes are per network namespace while /dev is not: two pods whose macvtaps share an ifindex share
 * one /dev/tap<N>, which points at whichever was created first (and vanishes when that one goes). So the
 * device number is read from the macvtap's own namespace: a sysfs instance made with fsopen(2) on a thread
 * inside that namespace lists only that namespace's macvtaps (class/macvtap/tap<ifindex>/dev), and is never
 * attached anywhere (fsmount(2) gives a detached mount, read through /proc/thread-self/fd).
 */

export interface DeviceNumber { major: number; minor: number }

/** Same numbers on x64 and arm64 (the unified syscall table, Linux 5.2+). */
const NR_FSOPEN = 430n;
const NR_FSCONFIG = 431n;
const NR_FSMOUNT = 432n;
const FSOPEN_CLOEXEC = 1n;
const FSCONFIG_CMD_CREATE = 6n;
const FSMOUNT_CLOEXEC = 1n;
const S_IFCHR = 0o020000n;
const AT_FDCWD = -100n;
const NR_MKNODAT: Partial<Record<string, bigint>> = { x64: 259n, arm64: 33n };

/**
 * The device number of macvtap `ifindex` in the calling thread's network namespace, or undefined when that
 * namespace has no such macvtap. Synchronous, so it can run inside runInNetnsSync. Throws the syscall's error.
 */
export function macvtapDeviceNumber(sys: SyscallNapi, ifindex: number): DeviceNumber | undefined {
  const fsfd = Number(sys.syscall.sync(NR_FSOPEN, Buffer.from('sysfs\0'), FSOPEN_CLOEXEC));
  let mntfd: number | undefined;
  try {
    sys.syscall.sync(NR_FSCONFIG, BigInt(fsfd), FSCONFIG_CMD_CREATE, 0n, 0n, 0n);
    mntfd = Number(sys.syscall.sync(NR_FSMOUNT, BigInt(fsfd), FSMOUNT_CLOEXEC, 0n));
    let text: string;
    try {
      text = readFileSync(`/proc/thread-self/fd/${mntfd}/class/macvtap/tap${ifindex}/dev`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const m = /^(\d+):(\d+)\s*$/.exec(text);
    if (!m) throw new Error(`unexpected device number '${text.trim()}' in sysfs`);
    return { major: Number(m[1]), minor: Number(m[2]) };
  } finally {
    if (mntfd !== undefined) closeSync(mntfd);
    closeSync(fsfd);
  }
}

/** True when `path` is the character device `dev` (false when it is missing or another device). */
export function isDevice(path: string, dev: DeviceNumber): boolean {
  try {
    const st = statSync(path, { bigint: true });
    return st.isCharacterDevice() && st.rdev === userDev(dev);
  } catch {
    return false;
  }
}

/** The dev_t glibc reports in st_rdev (gnu_dev_makedev), for comparing with fstat results. */
export function userDev({ major, minor }: DeviceNumber): bigint {
  const M = BigInt(major);
  const m = BigInt(minor);
  return ((M & 0xfffff000n) << 32n) | ((M & 0xfffn) << 8n) | ((m & 0xffffff00n) << 12n) | (m & 0xffn);
}

/**
 * Makes a private device node for `dev` in `dir` (which must allow device nodes: /dev, a devtmpfs) and
 * returns its path; the caller unlinks it once it has opened what it needs.
 */
export function makeDeviceNode(sys: SyscallNapi, dir: string, dev: DeviceNumber, label: string): string {
  const nr = (sys as SyscallNapi & { __NR_mknodat?: bigint }).__NR_mknodat ?? NR_MKNODAT[process.arch];
  if (nr === undefined) throw new Error(`mknodat is unknown on ${process.arch}`);
  const path = `${dir}/.cella-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
  // mknodat takes the kernel's 32-bit encoding (new_encode_dev).
  const kdev = BigInt((dev.minor & 0xff) | (dev.major << 8) | ((dev.minor & ~0xff) << 12)) & 0xffffffffn;
  sys.syscall.sync(nr, AT_FDCWD, Buffer.from(`${path}\0`), S_IFCHR | 0o600n, kdev);
  return path;
}

/** Removes a node made by makeDeviceNode, best effort. */
export function removeDeviceNode(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}
