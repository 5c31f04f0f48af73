// SPDX-License-Identifier: Apache-2.0
import { isIPv4, isIPv6 } from 'node:net';
import { NetworkErrors } from './network-errors';

/**
 * IP and MAC addresses between their text form and the raw bytes netlink carries.
 * IPv6 text follows RFC 5952 (lower case, the longest run of two or more zero groups as '::').
 */

export function parseIp(text: string): { family: 4 | 6; bytes: Buffer } {
  if (isIPv4(text)) return { family: 4, bytes: Buffer.from(text.split('.').map(Number)) };
  if (isIPv6(text) && !text.includes('%')) return { family: 6, bytes: parseIPv6(text) };
  throw NetworkErrors.NETWORK_ADDRESS.create('IP address is not valid', { details: { address: text } });
}

function parseIPv6(text: string): Buffer {
  let groups: number[] = [];
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const first = toGroups(head);
  if (tail === undefined) groups = first;
  else {
    const last = toGroups(tail);
    groups = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  }
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

/** Formats 4 or 16 bytes as an IP address; any other length gives undefined. */
export function formatIp(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // The longest run of zero groups (length >= 2, first one on ties) becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function parseMac(text: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) {
    throw NetworkErrors.NETWORK_ADDRESS.create('MAC address is not valid', { details: { mac: text } });
  }
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** Lower-case colon form of a link-layer address of any length ('02:00:0a:c7:07:02'). */
export function formatMac(bytes: Buffer): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True for IPv6 link-local unicast (fe80::/10), which the guest kernel makes by itself. */
export function isIPv6LinkLocal(address: string): boolean {
  return isIPv6(address) && (parseIPv6(address).readUInt16BE(0) & 0xffc0) === 0xfe80;
}
