// SPDX-License-Identifier: Apache-2.0
import type { JournalEntry, NetworkAttachment, NetworkDriver, SandboxContext, VmDevice } from '@cella/core';
import { discoverEndpoints, type DiscoveredInterface } from './endpoint-discovery';
import { NETLINK_UNDO_HANDLERS } from './netlink-undo';
import { NetworkErrors } from './network-errors';
import { closeFds } from './tun';

/** Queue settings every link-based network plugin shares. */
export interface QueueConfig { queues?: number; max_queues: number }

/** The queue count of each interface: the configured one, else one per vCPU up to `max_queues`. */
export function queueCount(cfg: QueueConfig, vcpus: number): number {
  return cfg.queues ?? Math.max(1, Math.min(vcpus, cfg.max_queues));
}

/**
 * One pod interface carried into the VM: the queue fds and what was journalled for it, newest last. Only
 * `netlink-link` and `tc-ingress` entries: `detach` undoes them with the same handlers a crash recovery uses.
 */
export interface CarriedLink {
  veth: DiscoveredInterface;
  fds: number[];
  entries: JournalEntry[];
}

/**
 * The shape of the tap and macvtap drivers: discover the pod's interfaces, refuse what cannot be carried
 * before making anything, carry each one (the subclass makes the link in the pod namespace and opens one
 * fd per queue, journalling before it makes), hand QEMU a `net` device per interface with the veth's MAC,
 * and undo everything newest first on `detach` or on a failure half-way. The runtime keeps its copies
 * of the queue fds until `detach`.
 */
export abstract class PodLinkDriver implements NetworkDriver {
  private carried: CarriedLink[] = [];
  private netnsPath: string | undefined;

  protected constructor(
    protected readonly sandbox: SandboxContext,
    private readonly queues: QueueConfig,
    /** MTUs the link type takes (a tap: 68…65521). */
    private readonly mtuRange: { min: number; max: number },
  ) {}

  /** Makes the link for `veth` (interface number `n`), journalled first; returns it with its queue fds. */
  protected abstract carry(netns: string, veth: DiscoveredInterface, n: number, queues: number, carried: CarriedLink[]): Promise<void>;

  async attach(netnsPath: string): Promise<NetworkAttachment> {
    if (this.netnsPath !== undefined) throw NetworkErrors.NETWORK_ARGUMENT.create('The network is attached already', { details: { netns: netnsPath } });
    const found = await discoverEndpoints(netnsPath, { logger: this.sandbox.logger });
    const queues = queueCount(this.queues, this.sandbox.vcpus);
    for (const iface of found.interfaces) this.checkMtu(iface, netnsPath);
    this.netnsPath = netnsPath;
    const devices: VmDevice[] = [];
    try {
      for (const [n, veth] of found.interfaces.entries()) {
        await this.carry(netnsPath, veth, n, queues, this.carried);
        const c = this.carried.at(-1)!;
        devices.push({ kind: 'net', id: `net${n}`, mac: veth.mac, mtu: veth.mtu, queues, fds: c.fds });
      }
    } catch (err) {
      await this.detach().catch((undoErr: unknown) => this.sandbox.logger.warn('network undo after a failed attach failed', { err: undoErr }));
      throw err;
    }
    this.sandbox.logger.info('network attached', { netns: netnsPath, interfaces: found.interfaces.map((i) => i.name), queues, routes: found.routes.length });
    const interfaces = found.interfaces.map((i) => ({ name: i.name, mac: i.mac, mtu: i.mtu, addresses: i.addresses }));
    return { devices, interfaces, routes: found.routes, neighbors: found.neighbors };
  }

  /** Undoes in reverse order; a namespace or link that is gone already counts as undone. */
  async detach(): Promise<void> {
    const all = this.carried.reverse();
    this.carried = [];
    this.netnsPath = undefined;
    let first: unknown;
    for (const c of all) {
      closeFds(c.fds);
      try {
        await this.undo(c);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Newest first, each entry by its undo handler, then completed; a vanished namespace or link counts as undone. */
  private async undo(c: CarriedLink): Promise<void> {
    while (c.entries.length > 0) {
      const entry = c.entries.at(-1)!;
      const handler = NETLINK_UNDO_HANDLERS.find((h) => h.type === entry.type);
      if (!handler) throw NetworkErrors.NETWORK_ARGUMENT.create('No undo handler for a network journal entry', { details: { type: entry.type } });
      await handler.undo(entry);
      await this.sandbox.journal.complete(entry.seq);
      c.entries.pop();
    }
  }

  private checkMtu(iface: DiscoveredInterface, netns: string): void {
    const { min, max } = this.mtuRange;
    if (iface.mtu < min || iface.mtu > max) {
      throw NetworkErrors.NETWORK_MTU.create('The interface\'s MTU is outside what the VM\'s NIC takes', {
        details: { netns, interface: iface.name, mtu: iface.mtu, min, max },
        hint: 'Give the pod interface an MTU in that range',
      });
    }
  }
}
