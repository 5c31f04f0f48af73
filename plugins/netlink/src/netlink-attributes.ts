// SPDX-License-Identifier: Apache-2.0
import { NetworkErrors } from './network-errors';
import { formatIp, formatMac, parseIp, parseMac } from './ip-address';
import { attributeName } from './rtnetlink-constants';

/**
 * Netlink attributes (struct nlattr: u16 nla_len, u16 nla_type, value, padding to 4 bytes), host byte order
 * (little-endian: the package is linux-x64 only). Decoding is bounded: every length is checked against the
 * bytes that are really there, and a violation is E_NETWORK_NETLINK_DECODE naming where it happened.
 */

export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** An attribute to encode: a value, or children encoded inside it (nested; `flag` sets NLA_F_NESTED). */
export type AttributeSpec =
  | { type: number; value: Buffer }
  | { type: number; children: AttributeSpec[]; flag?: boolean };

/** Typed builders for AttributeSpec. */
export const nla = {
  bytes: (type: number, value: Buffer): AttributeSpec => ({ type, value }),
  u8: (type: number, v: number): AttributeSpec => ({ type, value: Buffer.from([v & 0xff]) }),
  u16: (type: number, v: number): AttributeSpec => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return { type, value: b }; },
  u32: (type: number, v: number): AttributeSpec => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return { type, value: b }; },
  /** A NUL-terminated string, as the kernel stores IFLA_IFNAME, IFA_LABEL, IFLA_INFO_KIND. */
  string: (type: number, s: string): AttributeSpec => ({ type, value: Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]) }),
  ip: (type: number, address: string): AttributeSpec => ({ type, value: parseIp(address).bytes }),
  mac: (type: number, mac: string): AttributeSpec => ({ type, value: parseMac(mac) }),
  nested: (type: number, children: AttributeSpec[], flag = false): AttributeSpec => ({ type, children, flag }),
};

export function encodeAttributes(specs: readonly AttributeSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const spec of specs) {
    const value = 'value' in spec ? spec.value : encodeAttributes(spec.children);
    const header = Buffer.alloc(NLA_HDRLEN);
    header.writeUInt16LE(NLA_HDRLEN + value.length, 0);
    header.writeUInt16LE(spec.type | ('children' in spec && spec.flag ? NLA_F_NESTED : 0), 2);
    parts.push(header, value, Buffer.alloc(align4(value.length) - value.length));
  }
  return Buffer.concat(parts);
}

export function decodeFailure(where: string, problem: string, details: Record<string, unknown> = {}): Error {
  return NetworkErrors.NETWORK_NETLINK_DECODE.create(`Netlink data in ${where} is malformed`, { details: { where, problem, ...details } });
}

export interface NetlinkAttribute { type: number; nested: boolean; value: Buffer }

/** Names the attributes of one family for error messages: the UAPI table and its prefix ('IFLA'). */
export interface AttributeNames { table: Readonly<Record<string, number>>; prefix: string }

/** The decoded attributes of one message or nest, with typed, length-checked getters. */
export class AttributeSet {
  private constructor(readonly where: string, private readonly names: AttributeNames, readonly list: readonly NetlinkAttribute[]) {}

  /** Splits `buf` into attributes; `where` names the message ('RTM_NEWLINK') for errors. */
  static decode(buf: Buffer, where: string, names: AttributeNames): AttributeSet {
    const list: NetlinkAttribute[] = [];
    let offset = 0;
    while (offset < buf.length) {
      const left = buf.length - offset;
      if (left < NLA_HDRLEN) throw decodeFailure(where, `${left} trailing bytes are too short for an attribute header`, { offset });
      const len = buf.readUInt16LE(offset);
      const rawType = buf.readUInt16LE(offset + 2);
      const name = attributeName(names.table, names.prefix, rawType & NLA_TYPE_MASK);
      if (len < NLA_HDRLEN) throw decodeFailure(`${where} ${name}`, `nla_len ${len} is shorter than the attribute header`, { offset });
      if (len > left) throw decodeFailure(`${where} ${name}`, `nla_len ${len} points past the ${left} bytes left`, { offset });
      list.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, value: buf.subarray(offset + NLA_HDRLEN, offset + len) });
      offset += Math.min(align4(len), left);
    }
    return new AttributeSet(where, names, list);
  }

  has(type: number): boolean { return this.list.some((a) => a.type === type); }

  /** The value of the first attribute of this type (attributes may repeat; the kernel reads the last, none repeat here). */
  bytes(type: number): Buffer | undefined { return this.list.find((a) => a.type === type)?.value; }

  u8(type: number): number | undefined { return this.fixed(type, 1)?.readUInt8(0); }
  u16(type: number): number | undefined { return this.fixed(type, 2)?.readUInt16LE(0); }
  u32(type: number): number | undefined { return this.fixed(type, 4)?.readUInt32LE(0); }
  i32(type: number): number | undefined { return this.fixed(type, 4)?.readInt32LE(0); }

  /** A string up to its first NUL (the kernel always sends one; a missing NUL is tolerated). */
  string(type: number): string | undefined {
    const v = this.bytes(type);
    if (v === undefined) return undefined;
    const nul = v.indexOf(0);
    return v.subarray(0, nul < 0 ? v.length : nul).toString('utf8');
  }

  mac(type: number): string | undefined {
    const v = this.bytes(type);
    return v === undefined ? undefined : formatMac(v);
  }

  /** An IPv4 (4 bytes) or IPv6 (16 bytes) address; any other length is malformed. */
  ip(type: number): string | undefined {
    const v = this.bytes(type);
    if (v === undefined) return undefined;
    const text = formatIp(v);
    if (text === undefined) throw decodeFailure(`${this.where} ${this.name(type)}`, `an address of ${v.length} bytes is neither IPv4 nor IPv6`);
    return text;
  }

  /** The attributes nested in `type`, named with `names` (bounded like the outer set). */
  nested(type: number, names: AttributeNames): AttributeSet | undefined {
    const v = this.bytes(type);
    return v === undefined ? undefined : AttributeSet.decode(v, `${this.where} ${this.name(type)} >`, names);
  }

  private fixed(type: number, size: number): Buffer | undefined {
    const v = this.bytes(type);
    if (v !== undefined && v.length !== size) {
      throw decodeFailure(`${this.where} ${this.name(type)}`, `value has ${v.length} bytes where ${size} are expected`);
    }
    return v;
  }

  private name(type: number): string { return attributeName(this.names.table, this.names.prefix, type); }
}
