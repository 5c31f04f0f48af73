// SPDX-License-Identifier: Apache-2.0
import type { SandboxContext } from '@cella/core';
import {
  NETLINK_LINK_ENTRY, NetlinkClient, PodLinkDriver, addMacvtap, loadNetlinkModules, openMacvtapQueues,
  setLink, type CarriedLink, type DiscoveredInterface, type QueueConfig,
} from '@cella/netlink';

const OWNER = 'network.macvtap';
const MACVTAP_MTU = { min: 68, max: 65535 } as const;

/**
 * Kata's `macvtap` model. For each interface of the pod namespace (a veth from CNI): a macvtap
 * `cella_mvtapN` in passthru mode on top of it (the veth is made promiscuous and every frame it receives
 * goes to the macvtap, none to the namespace's stack), its character device opened once per queue, the
 * VM's NIC carrying the veth's MAC. Removing the macvtap gives the veth back as it was.
 */
export class MacvtapNetworkDriver extends PodLinkDriver {
  constructor(sandbox: SandboxContext, cfg: QueueConfig) {
    super(sandbox, cfg, MACVTAP_MTU);
  }

  protected async carry(netns: string, veth: DiscoveredInterface, n: number, queues: number, carried: CarriedLink[]): Promise<void> {
    const name = `cella_mvtap${n}`;
    const c: CarriedLink = { veth, fds: [], entries: [] };
    carried.push(c);
    c.entries.push(await this.sandbox.journal.record(NETLINK_LINK_ENTRY, OWNER, `macvtap ${name} on ${veth.name}`, { netns, name }));
    const index = await NetlinkClient.with({ netnsPath: netns }, async (nl) => {
      const made = await addMacvtap(nl, { name, parentIndex: veth.ifindex, mode: 'passthru' });
      await setLink(nl, made, { mtu: veth.mtu, up: true });
      return made;
    });
    await loadNetlinkModules();
    c.fds = openMacvtapQueues(index, queues, { netnsPath: netns });
  }
}
