// SPDX-License-Identifier: Apache-2.0
import type { SandboxContext } from '@cella/core';
import {
  NETLINK_LINK_ENTRY, NetlinkClient, NetworkErrors, PodLinkDriver, TC_INGRESS_ENTRY, addIngressQdisc, addRedirectFilter,
  getLinkByName, openTapQueues, runInNetns, setLink,
  type CarriedLink, type DiscoveredInterface,
} from '@cella/netlink';
import type { TapConfig } from './tap-config';

const OWNER = 'network.tap';
/** ETH_MIN_MTU … 65535 minus the Ethernet header (the kernel's tun maxmtu); a veth may be set up to 65535. */
const TAP_MTU = { min: 68, max: 65521 } as const;

/**
 * Kata's `tcfilter` model. For each interface of the pod namespace (a veth from CNI, keeping its address):
 * a tap `cella_tapN` is created in the same namespace with one fd per queue, and two tc ingress redirect
 * filters join them (veth ingress → tap egress, tap ingress → veth egress), so frames pass unchanged
 * between the veth and the VM's NIC, which carries the veth's MAC. The namespace's own IP stack sees
 * nothing. The tap lives while the runtime or QEMU holds a queue fd, so a crash of both removes it by
 * itself; the journal covers the rest.
 */
export class TapNetworkDriver extends PodLinkDriver {
  constructor(sandbox: SandboxContext, private readonly cfg: TapConfig) {
    super(sandbox, cfg, TAP_MTU);
  }

  protected async carry(netns: string, veth: DiscoveredInterface, n: number, queues: number, carried: CarriedLink[]): Promise<void> {
    const { journal } = this.sandbox;
    const tap = `cella_tap${n}`;
    const c: CarriedLink = { veth, fds: [], entries: [] };
    carried.push(c);
    c.entries.push(await journal.record(NETLINK_LINK_ENTRY, OWNER, `tap ${tap} for ${veth.name}`, { netns, name: tap }));
    c.fds = await runInNetns(netns, () => openTapQueues(tap, queues, { vnetHdr: this.cfg.vnet_hdr }));
    await NetlinkClient.with({ netnsPath: netns }, async (nl) => {
      const link = await getLinkByName(nl, tap);
      if (!link) throw NetworkErrors.NETWORK_TAP.create('The new tap is not in the pod namespace', { details: { netns, tap } });
      await setLink(nl, link.index, { mtu: veth.mtu, up: true });
      c.entries.push(await journal.record(TC_INGRESS_ENTRY, OWNER, `ingress qdisc on ${veth.name}`, { netns, ifname: veth.name }));
      await addIngressQdisc(nl, veth.ifindex);
      await addRedirectFilter(nl, veth.ifindex, link.index);
      // The tap's own qdisc goes with the tap.
      await addIngressQdisc(nl, link.index);
      await addRedirectFilter(nl, link.index, veth.ifindex);
    });
  }
}
