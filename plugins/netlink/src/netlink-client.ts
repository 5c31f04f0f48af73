// SPDX-License-Identifier: Apache-2.0
import { getSystemErrorMap } from 'node:util';
import { isCellaError } from '@cella/core/errors';
import { NetworkErrors } from './network-errors';
import { type NetlinkMessage, NLMSG_HDRLEN, collectReply } from './netlink-message';
import { type NetlinkModules, type NodeNetlinkPacket, type NodeNetlinkSocket, loadNetlinkModules } from './native-modules';
import { runInNetnsSync } from './netns';
import { NLMSG, NLM_F, messageTypeName } from './rtnetlink-constants';

const NETLINK_ROUTE = 0;
const DEFAULT_TIMEOUT_MS = 5000;
/** A dump the kernel flags NLM_F_DUMP_INTR (the table changed meanwhile) is retried this often. */
const DUMP_ATTEMPTS = 3;

export interface NetlinkClientOptions {
  /** Open the socket inside this network namespace (a /var/run/netns/<name> or /proc/<pid>/ns/net path). */
  netnsPath?: string;
  /** How long one request may wait for its answer (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * An rtnetlink socket over node-netlink: one request at a time, each answered by its data messages and
 * a terminating ACK, error or NLMSG_DONE. node-netlink assigns nlmsg_seq and matches answers to it; this
 * class turns the outcome into data messages or a CellaError with the kernel's errno name.
 * The socket keeps the event loop busy (node-netlink polls in the thread pool) until `close()`.
 */
export class NetlinkClient {
  private queue: Promise<unknown> = Promise.resolve();
  private seen: NetlinkMessage[] = [];
  private closed = false;

  private constructor(private readonly socket: NodeNetlinkSocket, readonly netnsPath: string | undefined, private readonly timeoutMs: number) {
    // node-netlink hides NLMSG_ERROR/NLMSG_DONE (and their extended-ack text) from tryTalk's result; its
    // own listener runs first, so by the time tryTalk resolves this one has seen the terminating message.
    socket.on('message', (packet) => { this.seen.push(toMessage(packet)); });
  }

  /** Opens a NETLINK_ROUTE socket, inside `options.netnsPath` when given. Throws E_NETWORK_NETNS, E_NETWORK_NETLINK_SOCKET. */
  static async open(options: NetlinkClientOptions = {}): Promise<NetlinkClient> {
    const modules = await loadNetlinkModules();
    const start = (): Promise<NodeNetlinkSocket> => openOnThisThread(modules);
    const pending = options.netnsPath === undefined ? start() : runInNetnsSync(options.netnsPath, start);
    try {
      return new NetlinkClient(await pending, options.netnsPath, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    } catch (err) {
      throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('Netlink socket could not be opened', { cause: err, details: { netns: options.netnsPath } });
    }
  }

  /** Opens a client, runs `work` with it and closes it, also when `work` fails. */
  static async with<T>(options: NetlinkClientOptions, work: (client: NetlinkClient) => Promise<T>): Promise<T> {
    const client = await NetlinkClient.open(options);
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }

  /**
   * Sends a request (NLM_F_REQUEST|NLM_F_ACK plus `flags`, e.g. NLM_F_CREATE|NLM_F_EXCL) with `body` after
   * the nlmsghdr, and resolves with the data messages of the answer (none unless the request asks for them).
   * Throws E_NETWORK_NETLINK (kernel error), E_NETWORK_NETLINK_TIMEOUT, E_NETWORK_NETLINK_DECODE.
   */
  request(type: number, body: Buffer, flags = 0): Promise<NetlinkMessage[]> {
    return this.serialise(() => this.talk(type, body, flags));
  }

  /** Dumps a table (NLM_F_DUMP): all messages up to NLMSG_DONE; retried when the kernel reports it interrupted. */
  dump(type: number, body: Buffer): Promise<NetlinkMessage[]> {
    return this.serialise(async () => {
      for (let attempt = 1; ; attempt++) {
        const { messages, interrupted } = await this.exchange(type, body, NLM_F.DUMP);
        if (!interrupted) return messages;
        if (attempt >= DUMP_ATTEMPTS) {
          throw NetworkErrors.NETWORK_NETLINK.create('Netlink dump kept changing while it was read', {
            details: { request: messageTypeName(type), attempts: attempt, netns: this.netnsPath },
          });
        }
      }
    });
  }

  /** Closes the socket; later requests fail. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.socket.close();
  }

  private async talk(type: number, body: Buffer, flags: number): Promise<NetlinkMessage[]> {
    return (await this.exchange(type, body, flags)).messages;
  }

  private async exchange(type: number, body: Buffer, flags: number): Promise<{ messages: NetlinkMessage[]; interrupted: boolean }> {
    const request = messageTypeName(type);
    if (this.closed) throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('Netlink socket is closed', { details: { request } });
    this.seen = [];
    let answered: { errorCode: number; packets: NodeNetlinkPacket[] };
    try {
      answered = await this.socket.tryTalk({
        header: { nlmsg_type: BigInt(type), nlmsg_flags: BigInt(NLM_F.REQUEST | NLM_F.ACK | flags) },
        payload: body,
      }, { timeout: this.timeoutMs });
    } catch (err) {
      if (isCellaError(err)) throw err;
      if (err instanceof Error && /timeout/i.test(err.message)) {
        throw NetworkErrors.NETWORK_NETLINK_TIMEOUT.create('Kernel did not answer the netlink request', {
          details: { request, timeoutMs: this.timeoutMs, netns: this.netnsPath },
        });
      }
      throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('Netlink request could not be sent', { cause: err, details: { request, netns: this.netnsPath } });
    }
    const terminal = [...this.seen].reverse().find((m) => m.header.type === NLMSG.ERROR || m.header.type === NLMSG.DONE);
    const seq = answered.packets.length > 0 ? Number(answered.packets[0].header.nlmsg_seq) : terminal?.header.seq;
    const reply = collectReply(this.seen, seq ?? -1);
    if (reply.end === undefined) {
      throw NetworkErrors.NETWORK_NETLINK_DECODE.create('Netlink answer has no terminating message', { details: { request, seq } });
    }
    if (reply.end.errno !== 0) {
      const [name, text] = getSystemErrorMap().get(-reply.end.errno) ?? [`errno ${reply.end.errno}`, 'unknown error'];
      throw NetworkErrors.NETWORK_NETLINK.create(`Kernel refused the ${request} request`, {
        cause: new Error(`${name}: ${reply.end.kernelMessage ?? text}`),
        details: { request, errno: name, kernelMessage: reply.end.kernelMessage, netns: this.netnsPath },
      });
    }
    return { messages: reply.messages, interrupted: reply.interrupted };
  }

  private serialise<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * node-netlink creates its socket with po6's thread-pool `socket()`, i.e. on another thread, in that
 * thread's namespace. For the length of this synchronous call po6's `socket` is swapped for its `.sync`
 * twin, so the socket(2) call runs here, on the thread that may have entered a namespace; node-netlink's
 * later steps (bind, poll, send) only use the descriptor and may run anywhere. The swap also hands us the
 * descriptor, which node-netlink keeps to itself, to set the options below.
 */
function openOnThisThread(modules: NetlinkModules): Promise<NodeNetlinkSocket> {
  const threadPoolSocket = modules.po6.socket;
  let fd: bigint | undefined;
  const onThisThread = (args: { domain: bigint; type: bigint; protocol: bigint }): unknown => {
    fd = threadPoolSocket.sync(args) as bigint;
    return fd;
  };
  modules.po6.socket = Object.assign(onThisThread, { sync: threadPoolSocket.sync });
  let pending: Promise<NodeNetlinkSocket>;
  try {
    pending = modules.netlink.open({ family: NETLINK_ROUTE });
  } finally {
    modules.po6.socket = threadPoolSocket;
  }
  if (fd !== undefined) configureSocket(modules, fd);
  return pending;
}

const SOL_NETLINK = 270n;
const NETLINK_CAP_ACK = 10n;
const NETLINK_EXT_ACK = 11n;
const F_SETFD = 2n;
const FD_CLOEXEC = 1n;
/** fcntl(2) is missing from syscall-napi's tables. */
const NR_FCNTL: Partial<Record<string, bigint>> = { x64: 72n, arm64: 25n };

/**
 * Best effort, as iproute2 does: NETLINK_EXT_ACK (the kernel explains its errors), NETLINK_CAP_ACK (ACKs
 * echo only the request header) and close-on-exec (po6 creates the socket without SOCK_CLOEXEC, so child
 * processes would inherit it). A kernel without these options still works, with plainer errors.
 */
function configureSocket(modules: NetlinkModules, fd: bigint): void {
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const { sys } = modules;
  for (const option of [NETLINK_EXT_ACK, NETLINK_CAP_ACK]) {
    try { sys.syscall.sync(sys.__NR_setsockopt, fd, SOL_NETLINK, option, one, 4n); } catch { /* older kernel */ }
  }
  const fcntl = NR_FCNTL[process.arch];
  if (fcntl !== undefined) {
    try { sys.syscall.sync(fcntl, fd, F_SETFD, FD_CLOEXEC); } catch { /* leaves the fd inheritable */ }
  }
}

function toMessage(packet: NodeNetlinkPacket): NetlinkMessage {
  const h = packet.header;
  return {
    header: {
      length: NLMSG_HDRLEN + packet.payload.length, type: Number(h.nlmsg_type), flags: Number(h.nlmsg_flags),
      seq: Number(h.nlmsg_seq), pid: Number(h.nlmsg_pid),
    },
    payload: packet.payload,
  };
}
