// SPDX-License-Identifier: Apache-2.0
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { NetworkErrors } from './network-errors';

/**
 * Loads node-netlink 0.0.4 and the two modules under it that netns.ts must reach (po6, syscall-napi).
 * All three are ES modules without type declarations, so they are imported dynamically and typed here with
 * just the surface Cella uses. po6 and syscall-napi are resolved from node-netlink's own location so that
 * Cella gets the very module instances node-netlink uses.
 */

/** A raw packet as node-netlink hands it over: header fields as bigints, payload after the nlmsghdr. */
export interface NodeNetlinkPacket {
  header: { nlmsg_type: bigint; nlmsg_flags: bigint; nlmsg_seq: bigint; nlmsg_pid: bigint };
  payload: Buffer;
}

/** What `netlink.open()` resolves to. */
export interface NodeNetlinkSocket {
  nl_pid: bigint;
  /** Sends one request (NLM_F_ACK required; node-netlink sets nlmsg_seq) and collects the answer. */
  tryTalk(
    message: { header: { nlmsg_type: bigint; nlmsg_flags: bigint }; payload: Buffer },
    options?: { timeout?: number },
  ): Promise<{ errorCode: number; packets: NodeNetlinkPacket[] }>;
  close(): Promise<void>;
  on(event: 'message', listener: (packet: NodeNetlinkPacket) => void): void;
}

export interface NodeNetlink {
  open(options: { family: number; pid?: number; groups?: number }): Promise<NodeNetlinkSocket>;
}

type SyscallArg = bigint | Buffer;
export interface SyscallNapi {
  syscall: { sync(...args: SyscallArg[]): bigint };
  __NR_setns: bigint;
  __NR_setsockopt: bigint;
}

/** po6's `socket`: async (runs in the libuv thread pool) with a `.sync` twin that runs on the calling thread. */
type Po6SocketFn = ((args: { domain: bigint; type: bigint; protocol: bigint }) => unknown) & { sync: (args: unknown) => unknown };
export interface Po6 { socket: Po6SocketFn }

export interface NetlinkModules { netlink: NodeNetlink; po6: Po6; sys: SyscallNapi }

let loaded: NetlinkModules | undefined;
let loading: Promise<NetlinkModules> | undefined;

/** Loads the modules once; later calls return the same instances. */
export function loadNetlinkModules(): Promise<NetlinkModules> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= (async (): Promise<NetlinkModules> => {
    try {
      const netlinkPath = require.resolve('node-netlink');
      const po6SocketPath = createRequire(netlinkPath).resolve('po6-socket');
      const po6Path = createRequire(po6SocketPath).resolve('po6');
      const sysPath = createRequire(po6Path).resolve('syscall-napi');
      const [netlink, po6, sys] = await Promise.all([netlinkPath, po6Path, sysPath].map((p) => importDefault(p)));
      loaded = { netlink: netlink as NodeNetlink, po6: po6 as Po6, sys: sys as SyscallNapi };
      return loaded;
    } catch (err) {
      loading = undefined;
      throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('node-netlink could not be loaded', {
        cause: err, hint: 'node-netlink builds native modules (syscall-napi, buffer2address): check that npm was allowed to run their install scripts',
      });
    }
  })();
  return loading;
}

/** The modules if `loadNetlinkModules` has finished, for code that must stay synchronous. */
export function loadedNetlinkModules(): NetlinkModules | undefined {
  return loaded;
}

async function importDefault(path: string): Promise<unknown> {
  // A computed specifier keeps TypeScript from resolving (and typing) these untyped ES modules.
  const url: string = pathToFileURL(path).href;
  const mod = (await import(url)) as { default?: unknown };
  return mod.default ?? mod;
}
