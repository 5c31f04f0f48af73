// SPDX-License-Identifier: Apache-2.0
import { NetworkErrors } from './network-errors';
import { parseIp } from './ip-address';
import { checkIndex, checkLinkName, checkUnsigned } from './link-arguments';
import { type AttributeSpec, nla } from './netlink-attributes';
import { addrAttr, encodeAddress, encodeLink, encodeNeighbor, encodeRoute, linkAttr, neighAttr, routeAttr } from './rtnetlink-codec';
import { AF, IFA, IFF, NLM_F, NUD, RTEXT_FILTER, RTM, RTN, RTPROT, RT_SCOPE, RT_TABLE } from './rtnetlink-constants';

/**
 * The rtnetlink requests of link-ops.ts, built from typed values and checked first. Each is what `ip`
 * sends for the same change (attributes in ip's order, so link-requests.test.ts compares bytes), except
 * where a comment says otherwise.
 */

/** A request for NetlinkClient.request: type, body after the nlmsghdr, flags besides REQUEST|ACK. */
export interface NetlinkRequest { type: number; body: Buffer; flags: number }

const CREATE_EXCL = NLM_F.CREATE | NLM_F.EXCL;
const IFA_F_NODAD = 0x02;
const IFLA_MACVLAN_MODE = 1;

/** IFLA_MACVLAN_MODE values (linux/if_link.h). */
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8 } as const;
export type MacvtapMode = keyof typeof MACVLAN_MODE;

export interface LinkChange { up?: boolean; mtu?: number; mac?: string; name?: string }
export interface MacvtapSpec { name: string; parentIndex: number; mode: MacvtapMode }
export interface AddressOptions { /** IFA_F_NODAD: an IPv6 address usable at once, without duplicate address detection. */ noDad?: boolean }
export interface RouteSpec {
  family: 4 | 6;
  /** 'a.b.c.d/n', 'x::/n', a bare address (a host route) or 'default'. */
  destination: string;
  gateway?: string;
  /** ifindex of the outgoing link (RTA_OIF). */
  index: number;
  /** Preferred source address (RTA_PREFSRC). */
  source?: string;
  /** rtm_scope; default: link without a gateway, universe with one (as ip chooses). */
  scope?: number;
}
export interface NeighborSpec { address: string; mac: string; index: number; /** ndm_state, default NUD_PERMANENT. */ state?: number }

/** RTM_GETLINK of one link by name, without statistics. */
export function getLinkRequest(name: string): NetlinkRequest {
  checkLinkName(name);
  return { type: RTM.GETLINK, body: encodeLink({}, [linkAttr.ifname(name), linkAttr.extMask(RTEXT_FILTER.SKIP_STATS)]), flags: 0 };
}

/** The body of an RTM_GETLINK dump without statistics. */
export function linkDumpBody(): Buffer {
  return encodeLink({}, [linkAttr.extMask(RTEXT_FILTER.SKIP_STATS)]);
}

/** RTM_NEWLINK changing an existing link; undefined when `change` changes nothing. */
export function setLinkRequest(index: number, change: LinkChange): NetlinkRequest | undefined {
  checkIndex(index);
  const attrs: AttributeSpec[] = [];
  if (change.name !== undefined) { checkLinkName(change.name); attrs.push(linkAttr.ifname(change.name)); }
  if (change.mac !== undefined) attrs.push(linkAttr.address(change.mac));
  if (change.mtu !== undefined) { checkUnsigned(change.mtu, 'mtu'); attrs.push(linkAttr.mtu(change.mtu)); }
  const flagged = change.up !== undefined;
  if (attrs.length === 0 && !flagged) return undefined;
  // The kernel renames before it changes IFF_UP, so one message can rename a down link and bring it up.
  return {
    type: RTM.NEWLINK, flags: 0,
    body: encodeLink({ index, flags: change.up === true ? IFF.UP : 0, change: flagged ? IFF.UP : 0 }, attrs),
  };
}

export function deleteLinkRequest(index: number): NetlinkRequest {
  checkIndex(index);
  return { type: RTM.DELLINK, body: encodeLink({ index }), flags: 0 };
}

/** RTM_DELLINK by IFLA_IFNAME (ip looks the index up first; the kernel takes either). */
export function deleteLinkByNameRequest(name: string): NetlinkRequest {
  checkLinkName(name);
  return { type: RTM.DELLINK, body: encodeLink({}, [linkAttr.ifname(name)]), flags: 0 };
}

export function macvtapRequest(spec: MacvtapSpec): NetlinkRequest {
  checkLinkName(spec.name);
  checkIndex(spec.parentIndex, 'parentIndex');
  const mode = Object.hasOwn(MACVLAN_MODE, spec.mode) ? MACVLAN_MODE[spec.mode] : undefined;
  if (mode === undefined) {
    throw NetworkErrors.NETWORK_ARGUMENT.create('Macvtap mode is not valid', {
      details: { field: 'mode', value: spec.mode, allowed: Object.keys(MACVLAN_MODE) },
    });
  }
  return {
    type: RTM.NEWLINK, flags: CREATE_EXCL,
    body: encodeLink({}, [linkAttr.link(spec.parentIndex), linkAttr.ifname(spec.name), linkAttr.linkinfo('macvtap', [nla.u32(IFLA_MACVLAN_MODE, mode)])]),
  };
}

/**
 * RTM_NEWADDR: IFA_LOCAL and IFA_ADDRESS, plus IFA_BROADCAST for IPv4 prefixes shorter than /31 (as
 * `ip addr add … brd +` and Kata's agent through vishvananda/netlink set it). 127/8 gets host scope, as ip gives it.
 */
export function addressRequest(index: number, address: string, prefixLength: number, options: AddressOptions = {}): NetlinkRequest {
  checkIndex(index);
  const ip = parseIp(address);
  checkUnsigned(prefixLength, 'prefixLength', ip.family === 4 ? 32 : 128);
  const attrs = [addrAttr.local(address), addrAttr.address(address)];
  if (ip.family === 4 && prefixLength < 31) attrs.push(nla.bytes(IFA.BROADCAST, broadcastOf(ip.bytes, prefixLength)));
  return {
    type: RTM.NEWADDR, flags: CREATE_EXCL,
    body: encodeAddress({
      family: ip.family === 4 ? AF.INET : AF.INET6, prefixLength, index, flags: options.noDad === true ? IFA_F_NODAD : 0,
      scope: ip.family === 4 && ip.bytes[0] === 127 ? RT_SCOPE.HOST : RT_SCOPE.UNIVERSE,
    }, attrs),
  };
}

/** RTM_NEWROUTE into the main table, protocol boot, unicast; 'default' is sent as RTA_DST 0.0.0.0 or :: with length 0, as ip does. */
export function routeRequest(r: RouteSpec): NetlinkRequest {
  checkIndex(r.index);
  if (r.family !== 4 && r.family !== 6) throw argument('Route family is not valid', 'family', r.family);
  const [dst, dstLength] = routeDestination(r);
  for (const [field, value] of [['gateway', r.gateway], ['source', r.source]] as const) {
    if (value !== undefined && parseIp(value).family !== r.family) throw argument(`Route ${field} is not an IPv${r.family} address`, field, value);
  }
  if (r.scope !== undefined) checkUnsigned(r.scope, 'scope', 255);
  const attrs = [routeAttr.dst(dst)];
  if (r.gateway !== undefined) attrs.push(routeAttr.gateway(r.gateway));
  if (r.source !== undefined) attrs.push(routeAttr.prefsrc(r.source));
  attrs.push(routeAttr.oif(r.index));
  return {
    type: RTM.NEWROUTE, flags: CREATE_EXCL,
    body: encodeRoute({
      family: r.family === 4 ? AF.INET : AF.INET6, dstLength, table: RT_TABLE.MAIN, protocol: RTPROT.BOOT, type: RTN.UNICAST,
      scope: r.scope ?? (r.gateway === undefined ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE),
    }, attrs),
  };
}

export function neighborRequest(n: NeighborSpec): NetlinkRequest {
  checkIndex(n.index);
  const state = n.state ?? NUD.PERMANENT;
  checkUnsigned(state, 'state', 0xffff);
  const family = parseIp(n.address).family === 4 ? AF.INET : AF.INET6;
  return {
    type: RTM.NEWNEIGH, flags: CREATE_EXCL,
    body: encodeNeighbor({ family, index: n.index, state }, [neighAttr.dst(n.address), neighAttr.lladdr(n.mac)]),
  };
}

/** Splits a route destination into the address sent as RTA_DST and its prefix length. */
function routeDestination(r: RouteSpec): [string, number] {
  const bits = r.family === 4 ? 32 : 128;
  if (r.destination === 'default') return [r.family === 4 ? '0.0.0.0' : '::', 0];
  const [address, prefix, extra] = String(r.destination).split('/');
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  if (extra !== undefined || !(length >= 0 && length <= bits)) throw argument('Route destination is not valid', 'destination', r.destination);
  if (parseIp(address).family !== r.family) throw argument(`Route destination is not an IPv${r.family} prefix`, 'destination', r.destination);
  return [address, length];
}

function broadcastOf(address: Buffer, prefixLength: number): Buffer {
  const host = 0xffffffff >>> prefixLength; // prefixLength < 31 here
  const out = Buffer.alloc(4);
  out.writeUInt32BE((address.readUInt32BE(0) | host) >>> 0);
  return out;
}

function argument(message: string, field: string, value: unknown): Error {
  return NetworkErrors.NETWORK_ARGUMENT.create(message, { details: { field, value } });
}
