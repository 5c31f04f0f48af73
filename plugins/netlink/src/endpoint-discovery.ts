// SPDX-License-Identifier: Apache-2.0
import type { GuestInterface, GuestIpAddress, GuestNeighbor, GuestRoute } from '@cella/core';
import { type Logger, nullLogger } from '@cella/core/log';
import { NetworkErrors } from './network-errors';
import { isIPv6LinkLocal } from './ip-address';
import { NetlinkClient } from './netlink-client';
import {
  type AddressMessage, type LinkMessage, type NeighborMessage, type RouteMessage,
  decodeAddress, decodeLink, decodeNeighbor, decodeRoute, encodeAddress, encodeLink, encodeNeighbor, encodeRoute, linkAttr,
} from './rtnetlink-codec';
import { AF, IFF, NTF, NUD, OPERSTATES, RTEXT_FILTER, RTM, RTN, RTPROT, RT_TABLE } from './rtnetlink-constants';

/** A guest interface plus what the host side knows about the link it came from. */
export interface DiscoveredInterface extends GuestInterface {
  ifindex: number;
  /** IFLA_INFO_KIND ('veth', 'macvlan', 'tun'…); undefined for a physical NIC. */
  kind: string | undefined;
  /** RFC 2863 operational state: 'up', 'down', 'lowerlayerdown', 'unknown'… */
  operstate: string;
  /** ifi_flags (IFF_UP, IFF_RUNNING…). */
  flags: number;
  /** IFLA_LINK: the peer's ifindex (veth) or the lower device (macvlan), in namespace `linkNetnsId` if set. */
  linkIndex: number | undefined;
  linkNetnsId: number | undefined;
  master: number | undefined;
}

export interface DiscoveredEndpoints {
  /** Sorted by name. */
  interfaces: DiscoveredInterface[];
  routes: GuestRoute[];
  neighbors: GuestNeighbor[];
}

export interface DiscoverOptions { timeoutMs?: number; logger?: Logger }

/**
 * Reads what the guest must recreate from the network namespace at `netnsPath` (read-only: nothing changes).
 * - Interfaces: every link except loopback with at least one address besides IPv6 link-local (fe80::/10,
 *   which the guest kernel makes by itself, as Kata skips it); links without a MAC address are skipped with a
 *   warning (the guest finds its NIC by MAC).
 * - Routes: main table, unicast, via a discovered interface; skipped: `proto kernel` routes (the prefix
 *   routes the guest kernel adds when it gets the addresses: Kata's validGuestRoute) and routes to IPv6
 *   link-local destinations. Destinations are CIDR; the default route is 0.0.0.0/0 or ::/0.
 * - Neighbours: NUD_PERMANENT entries, plus NUD_REACHABLE entries for a route's gateway (Kata's
 *   validGuestNeighbor: saves the guest an ARP round at start), on discovered interfaces, with a MAC.
 * Throws E_NETWORK_NETNS (bad path), E_NETWORK_NO_INTERFACE (nothing usable), E_NETWORK_NETLINK*.
 */
export async function discoverEndpoints(netnsPath: string, options: DiscoverOptions = {}): Promise<DiscoveredEndpoints> {
  const log = options.logger ?? nullLogger;
  const tables = await NetlinkClient.with({ netnsPath, timeoutMs: options.timeoutMs }, async (nl) => ({
    links: (await nl.dump(RTM.GETLINK, encodeLink({ family: AF.UNSPEC }, [linkAttr.extMask(RTEXT_FILTER.SKIP_STATS)])))
      .map((m) => decodeLink(m.payload, m.header.type)),
    addresses: (await nl.dump(RTM.GETADDR, encodeAddress({ family: AF.UNSPEC }))).map((m) => decodeAddress(m.payload, m.header.type)),
    routes: (await nl.dump(RTM.GETROUTE, encodeRoute({ family: AF.UNSPEC }))).map((m) => decodeRoute(m.payload, m.header.type)),
    neighbors: (await nl.dump(RTM.GETNEIGH, encodeNeighbor({ family: AF.UNSPEC }))).map((m) => decodeNeighbor(m.payload, m.header.type)),
  }));

  const interfaces = tables.links
    .map((link) => toInterface(link, tables.addresses, log))
    .filter((i): i is DiscoveredInterface => i !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (interfaces.length === 0) {
    throw NetworkErrors.NETWORK_NO_INTERFACE.create('Network namespace has no usable interface', {
      details: { netns: netnsPath, links: tables.links.map((l) => l.name) },
      hint: 'The namespace needs a link with an IP address (CNI normally adds a veth), or use network = "none"',
    });
  }
  const byIndex = new Map(interfaces.map((i) => [i.ifindex, i]));
  const routes = tables.routes.map((r) => toRoute(r, byIndex)).filter((r): r is GuestRoute => r !== undefined);
  const gateways = new Set(routes.map((r) => r.gateway).filter((g) => g !== undefined));
  const neighbors = tables.neighbors.map((n) => toNeighbor(n, byIndex, gateways)).filter((n): n is GuestNeighbor => n !== undefined);
  log.debug('discovered network endpoints', { netns: netnsPath, interfaces: interfaces.map((i) => i.name), routes: routes.length, neighbors: neighbors.length });
  return { interfaces, routes, neighbors };
}

function toInterface(link: LinkMessage, addresses: readonly AddressMessage[], log: Logger): DiscoveredInterface | undefined {
  if ((link.flags & IFF.LOOPBACK) !== 0) return undefined;
  const ips: GuestIpAddress[] = [];
  for (const a of addresses) {
    if (a.index !== link.index || (a.family !== AF.INET && a.family !== AF.INET6)) continue;
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links.
    const address = a.local ?? a.address;
    if (address === undefined || isIPv6LinkLocal(address)) continue;
    ips.push({ family: a.family === AF.INET ? 4 : 6, address, prefixLength: a.prefixLength });
  }
  if (ips.length === 0) return undefined;
  if (link.address === undefined || link.mtu === undefined || link.name === undefined) {
    log.warn('skipping a link without MAC address or MTU: the guest could not match it', { link: link.name, ifindex: link.index });
    return undefined;
  }
  return {
    name: link.name, mac: link.address, mtu: link.mtu, addresses: ips,
    ifindex: link.index, kind: link.kind, operstate: OPERSTATES[link.operstate ?? 0] ?? `state ${link.operstate}`,
    flags: link.flags, linkIndex: link.link, linkNetnsId: link.linkNetnsId, master: link.master,
  };
}

function toRoute(r: RouteMessage, byIndex: ReadonlyMap<number, DiscoveredInterface>): GuestRoute | undefined {
  if (r.table !== RT_TABLE.MAIN || r.type !== RTN.UNICAST || r.protocol === RTPROT.KERNEL) return undefined;
  if (r.family !== AF.INET && r.family !== AF.INET6) return undefined;
  if (r.destination !== undefined && isIPv6LinkLocal(r.destination)) return undefined;
  // Multipath routes carry their devices in RTA_MULTIPATH, not RTA_OIF: not carried yet.
  const device = r.oif === undefined ? undefined : byIndex.get(r.oif);
  if (device === undefined) return undefined;
  const family = r.family === AF.INET ? 4 : 6;
  const destination = `${r.destination ?? (family === 4 ? '0.0.0.0' : '::')}/${r.dstLength}`;
  return { destination, gateway: r.gateway, device: device.name, source: r.prefsrc, scope: r.scope, family };
}

function toNeighbor(n: NeighborMessage, byIndex: ReadonlyMap<number, DiscoveredInterface>, gateways: ReadonlySet<string>): GuestNeighbor | undefined {
  if ((n.family !== AF.INET && n.family !== AF.INET6) || (n.flags & NTF.PROXY) !== 0) return undefined;
  const device = byIndex.get(n.index);
  if (device === undefined || n.destination === undefined || n.lladdr === undefined) return undefined;
  const permanent = (n.state & NUD.PERMANENT) !== 0;
  const reachableGateway = (n.state & NUD.REACHABLE) !== 0 && gateways.has(n.destination);
  if (!permanent && !reachableGateway) return undefined;
  return { address: n.destination, mac: n.lladdr, device: device.name, state: n.state };
}
