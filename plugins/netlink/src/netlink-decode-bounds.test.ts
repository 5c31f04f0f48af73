// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { datagrams, loadHexFixture } from './hex-fixture';
import { AttributeSet, NLA_HDRLEN, encodeAttributes, nla } from './netlink-attributes';
import { decodeAck, decodeDone, decodeMessages, encodeMessage } from './netlink-message';
import { decodeAddress, decodeLink, decodeNeighbor, decodeRoute } from './rtnetlink-codec';
import { IFLA, IFLA_INFO, NLMSG, NLM_F, RTA, RTM } from './rtnetlink-constants';

/** Asserts `fn` fails with E_NETWORK_NETLINK_DECODE whose `where` matches (never a RangeError). */
function rejects(fn: () => unknown, where: RegExp, problem?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCellaError(err, 'E_NETWORK_NETLINK_DECODE'), `expected E_NETWORK_NETLINK_DECODE, got ${String(err)}`);
    assert.match(String(err.details.where), where);
    if (problem) assert.match(String(err.details.problem), problem);
    return true;
  });
}

/** eth0's RTM_NEWLINK as the kernel sent it (1504 bytes, one message). */
function eth0Datagram(): Buffer {
  return Buffer.from(datagrams(loadHexFixture('link-get-eth0'), 'recv', 3)[1]);
}

/** Offset in the datagram of the first attribute of `type` after the 16-byte ifinfomsg. */
function attrOffset(datagram: Buffer, type: number): number {
  for (let off = 32; off + 4 <= datagram.length;) {
    if ((datagram.readUInt16LE(off + 2) & 0x3fff) === type) return off;
    off += (datagram.readUInt16LE(off) + 3) & ~3;
  }
  throw new Error(`attribute ${type} not in fixture`);
}

const decodeAll = (d: Buffer): unknown => decodeMessages(d).map((m) => decodeLink(m.payload, m.header.type));

describe('netlink decoding of hostile input', () => {
  it('refuses a datagram cut short inside a message, naming the message', () => {
    rejects(() => decodeMessages(eth0Datagram().subarray(0, 100)), /^RTM_NEWLINK$/, /nlmsg_len 1504 points past the 100 bytes left/);
  });

  it('refuses fewer bytes than a message header', () => {
    rejects(() => decodeMessages(eth0Datagram().subarray(0, 10)), /nlmsghdr/, /too short/);
  });

  it('refuses nlmsg_len shorter than the header (which would loop forever)', () => {
    const d = eth0Datagram();
    d.writeUInt32LE(4, 0);
    rejects(() => decodeMessages(d), /RTM_NEWLINK/, /shorter than the message header/);
  });

  it('refuses ip\'s zero padding after a request, which the kernel silently skips', () => {
    const padded = datagrams(loadHexFixture('neigh-dump'), 'send', 3)[1];
    rejects(() => decodeMessages(padded), /nlmsghdr|type 0/);
  });

  it('refuses an attribute whose length points past the message, naming the attribute', () => {
    const d = eth0Datagram();
    d.writeUInt16LE(0xfff0, attrOffset(d, IFLA.IFNAME));
    rejects(() => decodeAll(d), /^RTM_NEWLINK IFLA_IFNAME$/, /points past/);
  });

  it('refuses an attribute length below the attribute header', () => {
    const d = eth0Datagram();
    d.writeUInt16LE(2, attrOffset(d, IFLA.MTU));
    rejects(() => decodeAll(d), /^RTM_NEWLINK IFLA_MTU$/, /shorter than the attribute header/);
  });

  it('bounds a nested attribute by its nest, not by the message around it', () => {
    const d = eth0Datagram();
    const linkinfo = attrOffset(d, IFLA.LINKINFO);
    assert.equal(d.readUInt16LE(linkinfo + NLA_HDRLEN + 2), IFLA_INFO.KIND);
    // IFLA_INFO_KIND claims 20 bytes: the message has them, the 12-byte IFLA_LINKINFO nest does not.
    d.writeUInt16LE(20, linkinfo + NLA_HDRLEN);
    rejects(() => decodeAll(d), /^RTM_NEWLINK IFLA_LINKINFO > IFLA_INFO_KIND$/, /points past the 12 bytes left/);
  });

  it('refuses a fixed-size attribute of the wrong size', () => {
    const d = eth0Datagram();
    d.writeUInt16LE(NLA_HDRLEN + 2, attrOffset(d, IFLA.MTU)); // padding keeps the next attribute in place
    rejects(() => decodeAll(d), /^RTM_NEWLINK IFLA_MTU$/, /2 bytes where 4 are expected/);
  });

  it('refuses an address that is neither 4 nor 16 bytes', () => {
    const body = Buffer.concat([Buffer.alloc(12), encodeAttributes([nla.bytes(RTA.GATEWAY, Buffer.from([10, 0, 0, 1, 9]))])]);
    rejects(() => decodeRoute(body, RTM.NEWROUTE), /^RTM_NEWROUTE RTA_GATEWAY$/, /5 bytes/);
  });

  it('refuses payloads shorter than their fixed struct', () => {
    rejects(() => decodeLink(Buffer.alloc(15), RTM.NEWLINK), /RTM_NEWLINK ifinfomsg/);
    rejects(() => decodeAddress(Buffer.alloc(7), RTM.NEWADDR), /RTM_NEWADDR ifaddrmsg/);
    rejects(() => decodeRoute(Buffer.alloc(11), RTM.NEWROUTE), /RTM_NEWROUTE rtmsg/);
    rejects(() => decodeNeighbor(Buffer.alloc(3), RTM.NEWNEIGH), /RTM_NEWNEIGH ndmsg/);
  });

  it('refuses 1 to 3 trailing bytes after the last attribute', () => {
    const attrs = Buffer.concat([encodeAttributes([nla.u32(IFLA.MTU, 1500)]), Buffer.from([1, 2])]);
    rejects(() => AttributeSet.decode(attrs, 'RTM_NEWLINK', { table: IFLA, prefix: 'IFLA' }), /RTM_NEWLINK/, /2 trailing bytes/);
  });

  it('refuses an NLMSG_ERROR without its error field, or whose echoed request overruns it', () => {
    rejects(() => decodeAck(Buffer.alloc(2), 0), /NLMSG_ERROR/);
    rejects(() => decodeDone(Buffer.alloc(2), 0), /NLMSG_DONE/);
    const echo = encodeMessage({ type: RTM.NEWROUTE, flags: NLM_F.REQUEST }, Buffer.alloc(64));
    const payload = Buffer.concat([Buffer.from([0xea, 0xff, 0xff, 0xff]), echo.subarray(0, 24)]); // -22, request cut short
    rejects(() => decodeAck(payload, NLM_F.ACK_TLVS), /NLMSG_ERROR/, /points past/);
  });

  it('never reads out of range: every truncation of real kernel messages fails cleanly or decodes', () => {
    const samples = ['link-get-eth0', 'addr-dump', 'route4-dump', 'route6-dump', 'neigh-dump', 'route-add-bad-gateway']
      .flatMap((f) => datagrams(loadHexFixture(f), 'recv', 3));
    let refused = 0;
    for (const d of samples) {
      for (let len = 0; len < d.length; len++) {
        // Shrink the declared lengths with the buffer, so the cut lands inside attributes too.
        const cut = Buffer.from(d.subarray(0, len));
        if (len >= 4 && decodeMessages(d).length === 1) cut.writeUInt32LE(len, 0);
        try {
          for (const m of decodeMessages(cut)) {
            const t = m.header.type;
            if (t === RTM.NEWLINK) decodeLink(m.payload, t);
            else if (t === RTM.NEWADDR) decodeAddress(m.payload, t);
            else if (t === RTM.NEWROUTE) decodeRoute(m.payload, t);
            else if (t === RTM.NEWNEIGH) decodeNeighbor(m.payload, t);
            else if (t === NLMSG.ERROR) decodeAck(m.payload, m.header.flags);
          }
        } catch (err) {
          assert.ok(isCellaError(err, 'E_NETWORK_NETLINK_DECODE'), `length ${len}: ${String(err)}`);
          refused++;
        }
      }
    }
    assert.ok(refused > 1000, `only ${refused} truncations were refused`);
  });
});
