// SPDX-License-Identifier: Apache-2.0
import type { JournalEntry, UndoHandler } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { deleteLinkByName, getLinkByName } from './link-ops';
import { NetlinkClient } from './netlink-client';
import { deleteIngressQdisc } from './tc-ops';

/**
 * Journal entry types of the network plugins, undone from their data alone (after a crash too):
 * - `netlink-link` `{ netns, name }`: a link the plugin created (tap, macvtap) in the pod namespace;
 * - `tc-ingress` `{ netns, ifname }`: an ingress qdisc the plugin added to a link it did not create
 *   (the veth); removing the qdisc removes the redirect filters under it.
 * A namespace or link that is gone already counts as undone: whoever removed it removed what it held.
 */
export const NETLINK_LINK_ENTRY = 'netlink-link';
export const TC_INGRESS_ENTRY = 'tc-ingress';

export interface NetlinkLinkEntry { netns: string; name: string }
export interface TcIngressEntry { netns: string; ifname: string }

export const netlinkLinkUndo: UndoHandler = {
  type: NETLINK_LINK_ENTRY,
  async undo(entry: JournalEntry): Promise<void> {
    const { netns, name } = entry.data as unknown as NetlinkLinkEntry;
    await inNetns(netns, (c) => deleteLinkByName(c, name));
  },
};

export const tcIngressUndo: UndoHandler = {
  type: TC_INGRESS_ENTRY,
  async undo(entry: JournalEntry): Promise<void> {
    const { netns, ifname } = entry.data as unknown as TcIngressEntry;
    await inNetns(netns, async (c) => {
      const link = await getLinkByName(c, ifname);
      if (link) await deleteIngressQdisc(c, link.index);
    });
  },
};

export const NETLINK_UNDO_HANDLERS: readonly UndoHandler[] = [netlinkLinkUndo, tcIngressUndo];

async function inNetns(netns: string, work: (c: NetlinkClient) => Promise<unknown>): Promise<void> {
  let client: NetlinkClient;
  try {
    client = await NetlinkClient.open({ netnsPath: netns });
  } catch (err) {
    // The namespace was deleted (the pod is gone): its links and qdiscs went with it.
    if (isCellaError(err, 'E_NETWORK_NETNS') || isCellaError(err, 'E_NETWORK_NETLINK_SOCKET') && isCellaError(err.cause, 'E_NETWORK_NETNS')) return;
    throw err;
  }
  try {
    await work(client);
  } finally {
    await client.close();
  }
}
