// SPDX-License-Identifier: Apache-2.0
import { dirname, join } from 'node:path';
import { TtyErrors } from './tty-errors';

/**
 * Raw Linux syscalls for what Node cannot do itself (ptys, SCM_RIGHTS), through the two native addons the
 * repo already ships with node-netlink: syscall-napi (`syscall(nr, ...args)`, a Buffer argument passed as
 * its address) and buffer2address (a Buffer's address, for pointers inside structs). Their `.node` files are
 * loaded directly (the packages' entry points are ES modules; the addons themselves load synchronously).
 * On the host they resolve from the workspace's node_modules, in the guest from /cella/node_modules.
 */

type Arg = bigint | Buffer;
interface SyscallAddon { syscall_sync(nr: bigint, ...args: Arg[]): bigint; syscall_async(nr: bigint, ...args: Arg[]): Promise<bigint> }
interface AddressAddon { buffer2address(b: Buffer): bigint }

/** Syscall numbers of the 64-bit little-endian ABIs Cella runs on (struct layouts below assume LP64). */
const NUMBERS = {
  x64: { ioctl: 16n, sendmsg: 46n, recvmsg: 47n, ppoll: 271n, prctl: 157n, wait4: 61n, clock_settime: 227n, fcntl: 72n, socket: 41n, bind: 49n, listen: 50n, connect: 42n, flock: 73n },
  arm64: { ioctl: 29n, sendmsg: 211n, recvmsg: 212n, ppoll: 73n, prctl: 167n, wait4: 260n, clock_settime: 112n, fcntl: 25n, socket: 198n, bind: 200n, listen: 201n, connect: 203n, flock: 32n },
} as const;

export type SyscallName = keyof (typeof NUMBERS)['x64'];

export interface NativeSyscalls {
  /** Runs on the calling thread; throws an Error whose message is strerror's text. */
  sync(name: SyscallName, ...args: Arg[]): bigint;
  /** Runs in libuv's thread pool (Buffers stay referenced until it returns). */
  async(name: SyscallName, ...args: Arg[]): Promise<bigint>;
  address(b: Buffer): bigint;
}

let loaded: NativeSyscalls | undefined;

/** The addons, loaded once. Throws E_TTY_NATIVE when they are missing or the architecture is not supported. */
export function nativeSyscalls(): NativeSyscalls {
  if (loaded) return loaded;
  const numbers = (NUMBERS as Record<string, Record<SyscallName, bigint>>)[process.arch];
  if (!numbers || process.platform !== 'linux') {
    throw TtyErrors.TTY_NATIVE.create('Terminals are not supported on this platform', { details: { platform: process.platform, arch: process.arch } });
  }
  let sys: SyscallAddon;
  let addr: AddressAddon;
  try {
    sys = loadAddon('syscall-napi', 'syscall.node') as SyscallAddon;
    addr = loadAddon('buffer2address', 'buffer2address.node') as AddressAddon;
  } catch (cause) {
    throw TtyErrors.TTY_NATIVE.create('The native syscall modules could not be loaded', {
      cause, hint: 'syscall-napi and buffer2address (dependencies of node-netlink) must be installed with their addons built',
    });
  }
  loaded = {
    sync: (name, ...args) => sys.syscall_sync(numbers[name], ...args),
    async: (name, ...args) => sys.syscall_async(numbers[name], ...args),
    address: (b) => addr.buffer2address(b),
  };
  return loaded;
}

function loadAddon(pkg: string, file: string): unknown {
  // Computed paths: bundlers leave them to Node at run time.
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  const load = require as (id: string) => unknown;
  for (const kind of ['Release', 'Debug']) {
    try {
      return load(join(dir, 'build', kind, file));
    } catch (err) {
      if (kind === 'Debug') throw err;
    }
  }
  return undefined;
}
