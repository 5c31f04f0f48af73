// SPDX-License-Identifier: Apache-2.0
import { NetworkErrors } from './network-errors';
import { formatMac, parseMac } from './ip-address';
import {
  type AddressOptions, type LinkChange, type MacvtapSpec, type NeighborSpec, type NetlinkRequest, type RouteSpec,
  addressRequest, deleteLinkByNameRequest, deleteLinkRequest, getLinkRequest, linkDumpBody, macvtapRequest, neighborRequest,
  routeRequest, setLinkRequest,
} from './link-requests';
import type { NetlinkClient } from './netlink-client';
import { isKernelError, withRequestContext } from './request-context';
import { type LinkMessage, decodeLink } from './rtnetlink-codec';
import { RTM, messageTypeName } from './rtnetlink-constants';

/**
 * Links, addresses, routes and neighbours over a NetlinkClient, in the namespace the client was opened in:
 * the host side (taps, macvtaps) and the guest agent (its NICs) share them. Arguments are checked first
 * (E_NETWORK_ARGUMENT, E_NETWORK_ADDRESS); a refusal by the kernel is E_NETWORK_NETLINK with the errno name
 * in `details.errno` and the link, address or route in the other details.
 */

export type { AddressOptions, LinkChange, MacvtapMode, MacvtapSpec, NeighborSpec, RouteSpec } from './link-requests';

/** The link called `name`, or undefined when there is none. */
export async function getLinkByName(c: NetlinkClient, name: string): Promise<LinkMessage | undefined> {
  const request = getLinkRequest(name);
  try {
    const [answer] = await send(c, request, { name });
    return answer === undefined ? undefined : decodeLink(answer.payload, answer.header.type);
  } catch (err) {
    if (isKernelError(err, 'ENODEV')) return undefined;
    throw err;
  }
}

/** The first link (lowest ifindex) whose MAC address is `mac` (any case), or undefined. */
export async function getLinkByMac(c: NetlinkClient, mac: string): Promise<LinkMessage | undefined> {
  const wanted = formatMac(parseMac(mac));
  return (await listLinks(c)).find((l) => l.address === wanted);
}

/** Every link of the namespace, by ifindex. */
export async function listLinks(c: NetlinkClient): Promise<LinkMessage[]> {
  const messages = await withRequestContext('RTM_GETLINK', {}, () => c.dump(RTM.GETLINK, linkDumpBody()));
  return messages.filter((m) => m.header.type === RTM.NEWLINK).map((m) => decodeLink(m.payload, m.header.type)).sort((a, b) => a.index - b.index);
}

/**
 * Changes link `index` in one RTM_NEWLINK: `name` (the link must be down, or go up in this same change),
 * `mac`, `mtu`, and IFF_UP when `up` is given. Nothing is sent when `change` is empty.
 */
export async function setLink(c: NetlinkClient, index: number, change: LinkChange): Promise<void> {
  const request = setLinkRequest(index, change);
  if (request !== undefined) await send(c, request, { index, change });
}

export async function deleteLink(c: NetlinkClient, index: number): Promise<void> {
  await send(c, deleteLinkRequest(index), { index });
}

/** Deletes link `name`; false when there is no such link. */
export async function deleteLinkByName(c: NetlinkClient, name: string): Promise<boolean> {
  try {
    await send(c, deleteLinkByNameRequest(name), { name });
    return true;
  } catch (err) {
    if (isKernelError(err, 'ENODEV')) return false;
    throw err;
  }
}

/**
 * Creates macvtap `name` on the link `parentIndex` (down, MAC chosen by the kernel) and returns its ifindex;
 * its queues are then opened with `openMacvtapQueues(ifindex, n)`. EEXIST when the name is taken.
 */
export async function addMacvtap(c: NetlinkClient, spec: MacvtapSpec): Promise<number> {
  await send(c, macvtapRequest(spec), { name: spec.name, parentIndex: spec.parentIndex, mode: spec.mode });
  // RTM_NEWLINK does not answer with the new link (NLM_F_ECHO for it is recent), so look it up.
  const link = await getLinkByName(c, spec.name);
  if (link === undefined) {
    throw NetworkErrors.NETWORK_NETLINK.create('Macvtap vanished right after it was created', { details: { name: spec.name, netns: c.netnsPath } });
  }
  return link.index;
}

/** Adds `address`/`prefixLength` (IPv4 or IPv6) to link `index`; EEXIST when it is there already. */
export async function addAddress(c: NetlinkClient, index: number, address: string, prefixLength: number, options: AddressOptions = {}): Promise<void> {
  await send(c, addressRequest(index, address, prefixLength, options), { index, address: `${address}/${prefixLength}` });
}

/** Adds a route to the main table through link `r.index`; EEXIST when the same route exists. */
export async function addRoute(c: NetlinkClient, r: RouteSpec): Promise<void> {
  await send(c, routeRequest(r), { index: r.index, route: { destination: r.destination, gateway: r.gateway, source: r.source } });
}

/** Adds a neighbour entry (NUD_PERMANENT unless `n.state` says otherwise); EEXIST when one exists. */
export async function addNeighbor(c: NetlinkClient, n: NeighborSpec): Promise<void> {
  await send(c, neighborRequest(n), { index: n.index, neighbor: n.address, mac: n.mac });
}

function send(c: NetlinkClient, r: NetlinkRequest, details: Record<string, unknown>): ReturnType<NetlinkClient['request']> {
  return withRequestContext(messageTypeName(r.type), details, () => c.request(r.type, r.body, r.flags));
}
