// SPDX-License-Identifier: Apache-2.0
import { type AttributeSpec, AttributeSet, decodeFailure, encodeAttributes, nla } from './netlink-attributes';
import { IFA, IFLA, IFLA_INFO, NDA, RTA, messageTypeName } from './rtnetlink-constants';

/**
 * The four rtnetlink families Cella needs: links (struct ifinfomsg), addresses (ifaddrmsg), routes (rtmsg)
 * and neighbours (ndmsg). A body is the fixed struct followed by attributes; `encode*` build the bytes after
 * the nlmsghdr (see netlink-message.ts), `decode*` read them back, bounded. Requests are built from the typed
 * attribute builders below, in the order the caller gives, so they can match `ip`'s bytes exactly.
 */

const IFLA_NAMES = { table: IFLA, prefix: 'IFLA' };
const IFLA_INFO_NAMES = { table: IFLA_INFO, prefix: 'IFLA_INFO' };
const IFA_NAMES = { table: IFA, prefix: 'IFA' };
const RTA_NAMES = { table: RTA, prefix: 'RTA' };
const NDA_NAMES = { table: NDA, prefix: 'NDA' };

export interface IfInfoHeader { family?: number; type?: number; index?: number; flags?: number; change?: number }
export interface IfAddrHeader { family: number; prefixLength?: number; flags?: number; scope?: number; index?: number }
export interface RtHeader {
  family: number; dstLength?: number; srcLength?: number; tos?: number; table?: number;
  protocol?: number; scope?: number; type?: number; flags?: number;
}
export interface NdHeader { family: number; index?: number; state?: number; flags?: number; type?: number }

export interface LinkMessage extends Required<IfInfoHeader> {
  name?: string; mtu?: number; address?: string; link?: number; master?: number; operstate?: number;
  linkNetnsId?: number; kind?: string;
}
export interface AddressMessage extends Required<IfAddrHeader> { address?: string; local?: string; label?: string }
export interface RouteMessage extends Required<RtHeader> {
  destination?: string; gateway?: string; oif?: number; prefsrc?: string; priority?: number;
}
export interface NeighborMessage extends Required<NdHeader> { destination?: string; lladdr?: string }

/** Typed attribute builders for requests, one per attribute Cella sends. */
export const linkAttr = {
  ifname: (name: string): AttributeSpec => nla.string(IFLA.IFNAME, name),
  mtu: (mtu: number): AttributeSpec => nla.u32(IFLA.MTU, mtu),
  address: (mac: string): AttributeSpec => nla.mac(IFLA.ADDRESS, mac),
  link: (index: number): AttributeSpec => nla.u32(IFLA.LINK, index),
  master: (index: number): AttributeSpec => nla.u32(IFLA.MASTER, index),
  operstate: (state: number): AttributeSpec => nla.u8(IFLA.OPERSTATE, state),
  extMask: (mask: number): AttributeSpec => nla.u32(IFLA.EXT_MASK, mask),
  /**
   * IFLA_LINKINFO { IFLA_INFO_KIND, IFLA_INFO_DATA { data } }. Like iproute2: the kind without its NUL
   * (the kernel accepts both) and no NLA_F_NESTED flag on either nest.
   */
  linkinfo: (kind: string, data?: AttributeSpec[]): AttributeSpec => nla.nested(IFLA.LINKINFO, [
    nla.bytes(IFLA_INFO.KIND, Buffer.from(kind, 'utf8')),
    ...(data ? [nla.nested(IFLA_INFO.DATA, data)] : []),
  ]),
};
export const addrAttr = {
  address: (ip: string): AttributeSpec => nla.ip(IFA.ADDRESS, ip),
  local: (ip: string): AttributeSpec => nla.ip(IFA.LOCAL, ip),
  label: (label: string): AttributeSpec => nla.string(IFA.LABEL, label),
};
export const routeAttr = {
  dst: (ip: string): AttributeSpec => nla.ip(RTA.DST, ip),
  gateway: (ip: string): AttributeSpec => nla.ip(RTA.GATEWAY, ip),
  oif: (index: number): AttributeSpec => nla.u32(RTA.OIF, index),
  prefsrc: (ip: string): AttributeSpec => nla.ip(RTA.PREFSRC, ip),
  table: (table: number): AttributeSpec => nla.u32(RTA.TABLE, table),
  priority: (metric: number): AttributeSpec => nla.u32(RTA.PRIORITY, metric),
};
export const neighAttr = {
  dst: (ip: string): AttributeSpec => nla.ip(NDA.DST, ip),
  lladdr: (mac: string): AttributeSpec => nla.mac(NDA.LLADDR, mac),
};

export function encodeLink(h: IfInfoHeader, attrs: readonly AttributeSpec[] = []): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt8(h.family ?? 0, 0);
  fixed.writeUInt16LE(h.type ?? 0, 2);
  fixed.writeInt32LE(h.index ?? 0, 4);
  fixed.writeUInt32LE((h.flags ?? 0) >>> 0, 8);
  fixed.writeUInt32LE((h.change ?? 0) >>> 0, 12);
  return Buffer.concat([fixed, encodeAttributes(attrs)]);
}

export function decodeLink(payload: Buffer, type: number): LinkMessage {
  const where = messageTypeName(type);
  need(payload, 16, `${where} ifinfomsg`);
  const a = AttributeSet.decode(payload.subarray(16), where, IFLA_NAMES);
  const info = a.nested(IFLA.LINKINFO, IFLA_INFO_NAMES);
  return {
    family: payload.readUInt8(0), type: payload.readUInt16LE(2), index: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8), change: payload.readUInt32LE(12),
    name: a.string(IFLA.IFNAME), mtu: a.u32(IFLA.MTU), address: a.mac(IFLA.ADDRESS), link: a.u32(IFLA.LINK),
    master: a.u32(IFLA.MASTER), operstate: a.u8(IFLA.OPERSTATE), linkNetnsId: a.i32(IFLA.LINK_NETNSID),
    kind: info?.string(IFLA_INFO.KIND),
  };
}

export function encodeAddress(h: IfAddrHeader, attrs: readonly AttributeSpec[] = []): Buffer {
  const fixed = Buffer.from([h.family, h.prefixLength ?? 0, h.flags ?? 0, h.scope ?? 0, 0, 0, 0, 0]);
  fixed.writeUInt32LE(h.index ?? 0, 4);
  return Buffer.concat([fixed, encodeAttributes(attrs)]);
}

export function decodeAddress(payload: Buffer, type: number): AddressMessage {
  const where = messageTypeName(type);
  need(payload, 8, `${where} ifaddrmsg`);
  const a = AttributeSet.decode(payload.subarray(8), where, IFA_NAMES);
  return {
    family: payload.readUInt8(0), prefixLength: payload.readUInt8(1), flags: a.u32(IFA.FLAGS) ?? payload.readUInt8(2),
    scope: payload.readUInt8(3), index: payload.readUInt32LE(4),
    address: a.ip(IFA.ADDRESS), local: a.ip(IFA.LOCAL), label: a.string(IFA.LABEL),
  };
}

export function encodeRoute(h: RtHeader, attrs: readonly AttributeSpec[] = []): Buffer {
  const fixed = Buffer.from([h.family, h.dstLength ?? 0, h.srcLength ?? 0, h.tos ?? 0, h.table ?? 0,
    h.protocol ?? 0, h.scope ?? 0, h.type ?? 0, 0, 0, 0, 0]);
  fixed.writeUInt32LE((h.flags ?? 0) >>> 0, 8);
  return Buffer.concat([fixed, encodeAttributes(attrs)]);
}

export function decodeRoute(payload: Buffer, type: number): RouteMessage {
  const where = messageTypeName(type);
  need(payload, 12, `${where} rtmsg`);
  const a = AttributeSet.decode(payload.subarray(12), where, RTA_NAMES);
  return {
    family: payload.readUInt8(0), dstLength: payload.readUInt8(1), srcLength: payload.readUInt8(2), tos: payload.readUInt8(3),
    // rtm_table is 8 bits; tables above 255 travel only in RTA_TABLE, which wins when present.
    table: a.u32(RTA.TABLE) ?? payload.readUInt8(4),
    protocol: payload.readUInt8(5), scope: payload.readUInt8(6), type: payload.readUInt8(7), flags: payload.readUInt32LE(8),
    destination: a.ip(RTA.DST), gateway: a.ip(RTA.GATEWAY), oif: a.u32(RTA.OIF), prefsrc: a.ip(RTA.PREFSRC),
    priority: a.u32(RTA.PRIORITY),
  };
}

export function encodeNeighbor(h: NdHeader, attrs: readonly AttributeSpec[] = []): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt8(h.family, 0);
  fixed.writeInt32LE(h.index ?? 0, 4);
  fixed.writeUInt16LE(h.state ?? 0, 8);
  fixed.writeUInt8(h.flags ?? 0, 10);
  fixed.writeUInt8(h.type ?? 0, 11);
  return Buffer.concat([fixed, encodeAttributes(attrs)]);
}

export function decodeNeighbor(payload: Buffer, type: number): NeighborMessage {
  const where = messageTypeName(type);
  need(payload, 12, `${where} ndmsg`);
  const a = AttributeSet.decode(payload.subarray(12), where, NDA_NAMES);
  return {
    family: payload.readUInt8(0), index: payload.readInt32LE(4), state: payload.readUInt16LE(8),
    flags: payload.readUInt8(10), type: payload.readUInt8(11),
    destination: a.ip(NDA.DST), lladdr: a.mac(NDA.LLADDR),
  };
}

function need(payload: Buffer, size: number, where: string): void {
  if (payload.length < size) throw decodeFailure(where, `a payload of ${payload.length} bytes is shorter than the ${size}-byte struct`);
}
