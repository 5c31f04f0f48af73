// SPDX-License-Identifier: Apache-2.0
import { closeSync, constants, openSync } from 'node:fs';
import { NetworkErrors } from './network-errors';
import { checkLinkName, checkQueues } from './link-arguments';
import { type SyscallNapi, loadedNetlinkModules } from './native-modules';

/**
 * Tap queues as file descriptors for the hypervisor (one fd per virtio-net queue pair; macvtap-queues.ts
 * does the same for macvtaps).
 *
 * All of it is synchronous and runs on the calling thread: a tun file takes the network namespace of the
 * thread that opens /dev/net/tun, so calling `openTapQueues` inside `runInNetnsSync` creates the tap in
 * that namespace. The fds are opened close-on-exec (libuv's default); hand them to a child process by
 * mapping them into its stdio array, which dup2()s them without the flag.
 */

const TUN_DEVICE = '/dev/net/tun';
/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454can;
const IFF_TAP = 0x0002;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
/** struct ifreq: char ifr_name[IFNAMSIZ] then a 24-byte union whose first member is short ifr_flags. */
const IFREQ_SIZE = 40;
const IFR_FLAGS_OFFSET = 16;
/** ioctl(2) by architecture, should syscall-napi's table lack it. */
const NR_IOCTL: Partial<Record<string, bigint>> = { x64: 16n, arm64: 29n };

export interface TapQueueOptions {
  /** IFF_VNET_HDR: each frame carries a virtio-net header (default true; QEMU's vhost and offloads need it). */
  vnetHdr?: boolean;
}

/**
 * Creates (or attaches to) tap `name` in the calling thread's network namespace and returns `queues` fds,
 * each one queue: IFF_TAP|IFF_NO_PI, IFF_VNET_HDR unless `vnetHdr` is false, IFF_MULTI_QUEUE when
 * `queues` > 1. The tap exists while any of the fds is open. Needs `loadNetlinkModules()` to have finished.
 * Throws E_NETWORK_ARGUMENT (name, queues), E_NETWORK_NETLINK_SOCKET (modules not loaded), E_NETWORK_TAP
 * (`details.tap`, `details.queue`); on failure every fd opened so far is closed.
 */
export function openTapQueues(name: string, queues: number, options: TapQueueOptions = {}): number[] {
  checkLinkName(name, 'tap');
  checkQueues(queues);
  const ioctl = ioctlOf(nativeSyscalls({ tap: name }));
  const flags = IFF_TAP | IFF_NO_PI | (options.vnetHdr === false ? 0 : IFF_VNET_HDR) | (queues > 1 ? IFF_MULTI_QUEUE : 0);
  const fds: number[] = [];
  for (let queue = 0; queue < queues; queue++) {
    let fd: number | undefined;
    let step = `open ${TUN_DEVICE}`;
    try {
      fd = openSync(TUN_DEVICE, constants.O_RDWR);
      step = 'ioctl TUNSETIFF';
      const ifr = Buffer.alloc(IFREQ_SIZE);
      ifr.write(name, 0, 'utf8');
      ifr.writeUInt16LE(flags, IFR_FLAGS_OFFSET);
      ioctl(fd, TUNSETIFF, ifr);
      fds.push(fd);
    } catch (err) {
      if (fd !== undefined) closeFds([fd]);
      closeFds(fds);
      throw NetworkErrors.NETWORK_TAP.create('Tap queue could not be opened', {
        cause: err,
        details: { tap: name, queue, queues, step, errno: errnoOf(err), reason: (err as Error).message },
        hint: fd === undefined
          ? `Check that ${TUN_DEVICE} exists (CONFIG_TUN) and that the process has CAP_NET_ADMIN`
          : 'A link of this name that is not a tap, or a tap with other flags (multi-queue, vnet header) or queues in use, refuses new queues',
      });
    }
  }
  return fds;
}

/** Closes every fd, ignoring those already closed or invalid (best effort, for cleanup paths). */
export function closeFds(fds: readonly number[]): void {
  for (const fd of fds) {
    try { closeSync(fd); } catch { /* already closed */ }
  }
}

/** syscall-napi once loadNetlinkModules() has finished; E_NETWORK_NETLINK_SOCKET before. */
export function nativeSyscalls(details: Record<string, unknown>): SyscallNapi {
  const modules = loadedNetlinkModules();
  if (!modules) {
    throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('Native modules are not loaded yet', {
      details, hint: 'Await loadNetlinkModules() (or runInNetns, NetlinkClient.open) once before opening tap or macvtap queues',
    });
  }
  return modules.sys;
}

function ioctlOf(sys: SyscallNapi): (fd: number, request: bigint, arg: Buffer) => void {
  const nr = (sys as SyscallNapi & { __NR_ioctl?: bigint }).__NR_ioctl ?? NR_IOCTL[process.arch];
  if (nr === undefined) {
    throw NetworkErrors.NETWORK_TAP.create('Tap queues are not supported on this architecture', { details: { arch: process.arch } });
  }
  return (fd, request, arg) => { sys.syscall.sync(nr, BigInt(fd), request, arg); };
}

/** Node's fs errors carry `code`; syscall-napi's carry only strerror text (left in `reason`). */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}
