// SPDX-License-Identifier: Apache-2.0
import { AF, AttributeSet, IFLA, NetlinkClient, RTEXT_FILTER, RTM, decodeLink, encodeLink, linkAttr } from '@cella/netlink';

/** The device a link hangs off, as the kernel names it in sysfs: bus `pci`, device `0000:03:02.1`. */
export interface LinkParent {
  bus: string;
  device: string;
}

/** IFLA_PARENT_DEV_NAME and IFLA_PARENT_DEV_BUS_NAME (linux/if_link.h, Linux 5.15). */
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;

const IFLA_NAMES = { table: IFLA, prefix: 'IFLA' };
/** struct ifinfomsg before the attributes. */
const IFINFOMSG_LEN = 16;

/**
 * The parent device of every link in the network namespace at `netnsPath`, by link name, read over
 * rtnetlink inside that namespace. This is how the PCI function of a VF that sits in a pod namespace is
 * found: the host's `/sys/class/net` lists the links of the namespace sysfs was mounted in, not the pod's.
 * Links without a parent device (veth, bridge, …) and kernels older than 5.15 give no entry.
 * Throws E_NETWORK_NETNS, E_NETWORK_NETLINK*.
 */
export async function readLinkParents(netnsPath: string): Promise<Map<string, LinkParent>> {
  const messages = await NetlinkClient.with({ netnsPath }, (nl) =>
    nl.dump(RTM.GETLINK, encodeLink({ family: AF.UNSPEC }, [linkAttr.extMask(RTEXT_FILTER.SKIP_STATS)])));
  const parents = new Map<string, LinkParent>();
  for (const m of messages) {
    const link = decodeLink(m.payload, m.header.type);
    const attrs = AttributeSet.decode(m.payload.subarray(IFINFOMSG_LEN), 'RTM_NEWLINK', IFLA_NAMES);
    const bus = attrs.string(IFLA_PARENT_DEV_BUS_NAME);
    const device = attrs.string(IFLA_PARENT_DEV_NAME);
    if (link.name !== undefined && bus !== undefined && device !== undefined) parents.set(link.name, { bus, device });
  }
  return parents;
}
