// SPDX-License-Identifier: Apache-2.0
import type { JournalEntry, NetworkAttachment, NetworkDriver, SandboxContext, VmDevice } from '@cella/core';
import {
  NETLINK_LINK_ENTRY, NetlinkClient, NetworkErrors, TC_INGRESS_ENTRY, addIngressQdisc, addRedirectFilter, closeFds,
  deleteIngressQdisc, deleteLinkByName, discoverEndpoints, getLinkByName, openTapQueues, runInNetns, setLink,
  type DiscoveredInterface,
} from '@cella/netlink';
import { queueCount, type TapConfig } from './tap-config';

const OWNER = 'network.tap';
/**
 * MTUs a tap takes (ETH_MIN_MTU … 65535 minus the Ethernet header: the kernel's tun maxmtu), checked
 * before anything is made: a veth may be set up to 65535.
 */
const MTU_RANGE = { min: 68, max: 65521 } as const;

/** One interface carried into the VM: its tap (in the pod namespace) and what was journalled for it. */
interface Carried { veth: DiscoveredInterface; tap: string; fds: number[]; entries: JournalEntry[] }

/**
 * Kata's `tcfilter` model. For each interface of the pod namespace (a veth from CNI, keeping its address):
 * a tap `cella_tapN` is created in the same namespace with one fd per queue, and two tc ingress redirect
 * filters join them (veth ingress → tap egress, tap ingress → veth egress), so frames pass unchanged
 * between the veth and the VM's NIC, which carries the veth's MAC. The netns's own IP stack sees nothing.
 * The runtime keeps its copies of the queue fds until `detach`: the tap lives as long as the runtime or
 * QEMU holds one, so a crash of both removes it by itself; the journal covers the rest.
 */
export class TapNetworkDriver implements NetworkDriver {
  private carried: Carried[] = [];
  private netnsPath: string | undefined;

  constructor(private readonly sandbox: SandboxContext, private readonly cfg: TapConfig) {}

  async attach(netnsPath: string): Promise<NetworkAttachment> {
    this.netnsPath = netnsPath;
    const found = await discoverEndpoints(netnsPath, { logger: this.sandbox.logger });
    const queues = queueCount(this.cfg, this.sandbox.vcpus);
    for (const iface of found.interfaces) checkMtu(iface, netnsPath);
    const devices: VmDevice[] = [];
    try {
      for (const [n, veth] of found.interfaces.entries()) {
        const carried = await this.carry(netnsPath, veth, `cella_tap${n}`, queues);
        devices.push({ kind: 'net', id: `net${n}`, mac: veth.mac, mtu: veth.mtu, queues, fds: carried.fds });
      }
    } catch (err) {
      await this.detach().catch((undoErr: unknown) => this.sandbox.logger.warn('network undo after a failed attach failed', { err: undoErr }));
      throw err;
    }
    this.sandbox.logger.info('network attached', {
      netns: netnsPath, interfaces: found.interfaces.map((i) => i.name), queues, routes: found.routes.length,
    });
    const interfaces = found.interfaces.map((i) => ({ name: i.name, mac: i.mac, mtu: i.mtu, addresses: i.addresses }));
    return { devices, interfaces, routes: found.routes, neighbors: found.neighbors };
  }

  /** Undoes in reverse order; a namespace or link that is gone already counts as undone. */
  async detach(): Promise<void> {
    const netns = this.netnsPath;
    const all = this.carried.reverse();
    this.carried = [];
    let first: unknown;
    for (const c of all) {
      closeFds(c.fds);
      try {
        await this.undo(netns!, c);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  private async carry(netns: string, veth: DiscoveredInterface, tap: string, queues: number): Promise<Carried> {
    const { journal } = this.sandbox;
    const c: Carried = { veth, tap, fds: [], entries: [] };
    this.carried.push(c);
    c.entries.push(await journal.record(NETLINK_LINK_ENTRY, OWNER, `tap ${tap} for ${veth.name}`, { netns, name: tap }));
    c.fds = await runInNetns(netns, () => openTapQueues(tap, queues, { vnetHdr: this.cfg.vnet_hdr }));
    await NetlinkClient.with({ netnsPath: netns }, async (nl) => {
      const link = await getLinkByName(nl, tap);
      if (!link) throw NetworkErrors.NETWORK_NETLINK.create('The new tap is not in the pod namespace', { details: { netns, tap } });
      await setLink(nl, link.index, { mtu: veth.mtu, up: true });
      c.entries.push(await journal.record(TC_INGRESS_ENTRY, OWNER, `ingress qdisc on ${veth.name}`, { netns, ifname: veth.name }));
      await addIngressQdisc(nl, veth.ifindex);
      await addRedirectFilter(nl, veth.ifindex, link.index);
      // The tap's own qdisc goes with the tap.
      await addIngressQdisc(nl, link.index);
      await addRedirectFilter(nl, link.index, veth.ifindex);
    });
    return c;
  }

  private async undo(netns: string, c: Carried): Promise<void> {
    let client: NetlinkClient;
    try {
      client = await NetlinkClient.open({ netnsPath: netns });
    } catch (err) {
      if ((err as { code?: string }).code === 'E_NETWORK_NETNS') return this.completeAll(c);
      throw err;
    }
    try {
      const veth = await getLinkByName(client, c.veth.name);
      if (veth) await deleteIngressQdisc(client, veth.index);
      await deleteLinkByName(client, c.tap);
    } finally {
      await client.close();
    }
    await this.completeAll(c);
  }

  private async completeAll(c: Carried): Promise<void> {
    for (const e of c.entries.reverse()) await this.sandbox.journal.complete(e.seq);
    c.entries = [];
  }
}

function checkMtu(iface: DiscoveredInterface, netns: string): void {
  if (iface.mtu < MTU_RANGE.min || iface.mtu > MTU_RANGE.max) {
    throw NetworkErrors.NETWORK_MTU.create('The interface\'s MTU is outside what the VM\'s NIC takes', {
      details: { netns, interface: iface.name, mtu: iface.mtu, min: MTU_RANGE.min, max: MTU_RANGE.max },
      hint: 'Give the pod interface an MTU in that range',
    });
  }
}
