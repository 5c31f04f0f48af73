// SPDX-License-Identifier: Apache-2.0
import type { GuestInterface, GuestIpAddress, GuestNeighbor, GuestRoute } from '@cella/core';
import { decodeBounded, LEN, protocolError, pushBounded, readString, readUint64, VARINT, writer } from './wire-limits';

/*
 * Kata types.proto, same field numbers: IPAddress{family=1 (v4=0, v6=1), address=2, mask=3 (prefix length
 * as a string)}, Interface{device=1, name=2, IPAddresses=3, mtu=4, hwAddr=5}, Route{dest=1, gateway=2,
 * device=3, source=4, scope=5, family=6}, ARPNeighbor{toIPAddress=1, device=2, lladdr=3, state=4}.
 * Requests: UpdateInterfaceRequest{interface=1} (answers the Interface), UpdateRoutesRequest{routes=1:
 * Routes{Routes=1}} (answers Routes), AddARPNeighborsRequest{neighbors=1: ARPNeighbors{ARPNeighbors=1}}.
 */

const familyToWire = (f: 4 | 6): number => (f === 6 ? 1 : 0);

function familyFromWire(v: number): 4 | 6 {
  if (v === 0) return 4;
  if (v === 1) return 6;
  throw protocolError('An IP family is neither v4 nor v6', { value: v });
}

export function encodeIpAddress(a: GuestIpAddress): Buffer {
  return writer().uint32(1, familyToWire(a.family)).string(2, a.address).string(3, String(a.prefixLength)).finish();
}

export function decodeIpAddress(buf: Uint8Array): GuestIpAddress {
  const m = decodeBounded('IPAddress', buf, { family: 4 as 4 | 6, address: '', mask: '' }, (r, f, wt, msg) => {
    if (f === 1 && wt === VARINT) msg.family = familyFromWire(r.uint32());
    else if (f === 2 && wt === LEN) msg.address = readString(r, 'address', 64);
    else if (f === 3 && wt === LEN) msg.mask = readString(r, 'mask', 8);
    else return false;
    return true;
  });
  const prefixLength = m.mask === '' ? (m.family === 4 ? 32 : 128) : Number(m.mask);
  if (!/^\d*$/.test(m.mask) || prefixLength > (m.family === 4 ? 32 : 128)) {
    throw protocolError('An IP prefix length is out of range', { mask: m.mask, family: m.family });
  }
  return { family: m.family, address: m.address, prefixLength };
}

export function encodeInterface(i: GuestInterface): Buffer {
  const w = writer().string(1, i.name).string(2, i.name);
  for (const a of i.addresses) w.message(3, encodeIpAddress(a));
  return w.uint64(4, i.mtu).string(5, i.mac).finish();
}

export function decodeInterface(buf: Uint8Array): GuestInterface {
  const init = { device: '', name: '', mac: '', mtu: 0, addresses: [] as GuestIpAddress[] };
  const m = decodeBounded('Interface', buf, init, (r, f, wt, msg) => {
    if (f === 1 && wt === LEN) msg.device = readString(r, 'device', 64);
    else if (f === 2 && wt === LEN) msg.name = readString(r, 'name', 64);
    else if (f === 3 && wt === LEN) pushBounded(msg.addresses, decodeIpAddress(r.bytes()), 'IPAddresses');
    else if (f === 4 && wt === VARINT) msg.mtu = readUint64(r, 'mtu', 0xffff);
    else if (f === 5 && wt === LEN) msg.mac = readString(r, 'hwAddr', 64);
    else return false;
    return true;
  });
  return { name: m.name || m.device, mac: m.mac, mtu: m.mtu, addresses: m.addresses };
}

export function encodeRoute(r: GuestRoute): Buffer {
  return writer().string(1, r.destination).string(2, r.gateway ?? '').string(3, r.device).string(4, r.source ?? '')
    .uint32(5, r.scope ?? 0).uint32(6, familyToWire(r.family)).finish();
}

export function decodeRoute(buf: Uint8Array): GuestRoute {
  const init: GuestRoute = { destination: '', device: '', family: 4 };
  return decodeBounded('Route', buf, init, (r, f, wt, m) => {
    if (f === 1 && wt === LEN) m.destination = readString(r, 'dest', 64);
    else if (f === 2 && wt === LEN) m.gateway = readString(r, 'gateway', 64) || undefined;
    else if (f === 3 && wt === LEN) m.device = readString(r, 'device', 64);
    else if (f === 4 && wt === LEN) m.source = readString(r, 'source', 64) || undefined;
    else if (f === 5 && wt === VARINT) m.scope = readUint64(r, 'scope', 255);
    else if (f === 6 && wt === VARINT) m.family = familyFromWire(r.uint32());
    else return false;
    return true;
  });
}

export function encodeNeighbor(n: GuestNeighbor): Buffer {
  const family: 4 | 6 = n.address.includes(':') ? 6 : 4;
  const to = writer().uint32(1, familyToWire(family)).string(2, n.address).finish();
  return writer().message(1, to).string(2, n.device).string(3, n.mac).int32(4, n.state ?? 0).finish();
}

export function decodeNeighbor(buf: Uint8Array): GuestNeighbor {
  const init: GuestNeighbor = { address: '', mac: '', device: '' };
  return decodeBounded('ARPNeighbor', buf, init, (r, f, wt, m) => {
    if (f === 1 && wt === LEN) m.address = decodeIpAddress(r.bytes()).address;
    else if (f === 2 && wt === LEN) m.device = readString(r, 'device', 64);
    else if (f === 3 && wt === LEN) m.mac = readString(r, 'lladdr', 64);
    else if (f === 4 && wt === VARINT) m.state = readUint64(r, 'state', 0xffff);
    else return false;
    return true;
  });
}

/** UpdateInterfaceRequest{interface=1}. */
export function encodeUpdateInterfaceRequest(i: GuestInterface): Buffer {
  return writer().message(1, encodeInterface(i)).finish();
}

export function decodeUpdateInterfaceRequest(buf: Uint8Array): GuestInterface {
  const m = decodeBounded('UpdateInterfaceRequest', buf, { iface: undefined as GuestInterface | undefined }, (r, f, wt, msg) => {
    if (f === 1 && wt === LEN) msg.iface = decodeInterface(r.bytes());
    else return false;
    return true;
  });
  if (!m.iface) throw protocolError('The request has no interface', { message: 'UpdateInterfaceRequest' });
  return m.iface;
}

/** `Routes{Routes=1}`: the UpdateRoutes response, and field 1 of UpdateRoutesRequest. */
export function encodeRoutes(routes: readonly GuestRoute[]): Buffer {
  const w = writer();
  for (const r of routes) w.message(1, encodeRoute(r));
  return w.finish();
}

export function decodeRoutes(buf: Uint8Array): GuestRoute[] {
  return decodeBounded('Routes', buf, [] as GuestRoute[], (r, f, wt, list) => {
    if (f === 1 && wt === LEN) pushBounded(list, decodeRoute(r.bytes()), 'Routes');
    else return false;
    return true;
  });
}

export function encodeUpdateRoutesRequest(routes: readonly GuestRoute[]): Buffer {
  return writer().message(1, encodeRoutes(routes)).finish();
}

export function decodeUpdateRoutesRequest(buf: Uint8Array): GuestRoute[] {
  return decodeWrapped('UpdateRoutesRequest', buf, decodeRoutes);
}

export function encodeAddArpNeighborsRequest(neighbors: readonly GuestNeighbor[]): Buffer {
  const list = writer();
  for (const n of neighbors) list.message(1, encodeNeighbor(n));
  return writer().message(1, list).finish();
}

export function decodeAddArpNeighborsRequest(buf: Uint8Array): GuestNeighbor[] {
  return decodeWrapped('AddARPNeighborsRequest', buf, (inner) =>
    decodeBounded('ARPNeighbors', inner, [] as GuestNeighbor[], (r, f, wt, list) => {
      if (f === 1 && wt === LEN) pushBounded(list, decodeNeighbor(r.bytes()), 'ARPNeighbors');
      else return false;
      return true;
    }));
}

/** A request whose field 1 wraps a list message (Kata's Routes/ARPNeighbors); absent means empty. */
function decodeWrapped<T>(name: string, buf: Uint8Array, inner: (b: Uint8Array) => T[]): T[] {
  return decodeBounded(name, buf, { items: [] as T[] }, (r, f, wt, m) => {
    if (f === 1 && wt === LEN) m.items = inner(r.bytes());
    else return false;
    return true;
  }).items;
}
