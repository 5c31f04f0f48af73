// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { datagrams, loadHexFixture } from './hex-fixture';
import { isIPv6LinkLocal } from './ip-address';
import { type AttributeSpec, nla } from './netlink-attributes';
import { type NetlinkMessage, collectReply, decodeAck, decodeMessages, encodeMessage } from './netlink-message';
import {
  addrAttr, decodeAddress, decodeLink, decodeNeighbor, decodeRoute, encodeAddress, encodeLink, encodeNeighbor, encodeRoute,
  linkAttr, neighAttr, routeAttr,
} from './rtnetlink-codec';
import { AF, IFF, IFLA, NLMSG, NLM_F, NUD, RTEXT_FILTER, RTM, RTN, RTPROT, RT_SCOPE, RT_TABLE } from './rtnetlink-constants';

// Every fixture was captured from iproute2 6.1 with fixtures/capture.sh (strace of a real `ip` run); the
// namespace it builds gives eth0 (ifindex 2) 02:00:0a:c7:07:02, mtu 1450, 10.199.7.2/24, fd00:199::2/64.
// ip keeps two sockets: fd 3 for the command, fd 4 for its interface-name cache.

/** The message ip sent as request `index` on `fd` (ip pads some requests: only nlmsg_len bytes count). */
function sent(fixture: string, fd: number, index: number): { msg: NetlinkMessage; bytes: Buffer; datagram: Buffer } {
  const datagram = datagrams(loadHexFixture(fixture), 'send', fd)[index];
  const bytes = datagram.subarray(0, datagram.readUInt32LE(0));
  return { msg: decodeMessages(bytes)[0], bytes, datagram };
}

/** Every message received on `fd`, in order. */
function received(fixture: string, fd: number): NetlinkMessage[] {
  return datagrams(loadHexFixture(fixture), 'recv', fd).flatMap((d) => decodeMessages(d));
}

/** Re-encodes a request from typed values, with the captured sequence number, for a byte comparison. */
function request(type: number, flags: number, seq: number, body: Buffer): Buffer {
  return encodeMessage({ type, flags, seq, pid: 0 }, body);
}

const NEW = NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE;

describe('rtnetlink codec against bytes captured from ip', () => {
  describe('links (ifinfomsg)', () => {
    it('re-encodes ip\'s RTM_GETLINK for one device byte for byte', () => {
      const main = sent('link-get-eth0', 3, 1);
      assert.deepEqual(request(RTM.GETLINK, NLM_F.REQUEST, main.msg.header.seq,
        encodeLink({ family: AF.PACKET }, [linkAttr.ifname('eth0'), linkAttr.extMask(RTEXT_FILTER.VF)])), main.bytes);
      const cache = sent('link-get-eth0', 4, 0);
      assert.deepEqual(request(RTM.GETLINK, NLM_F.REQUEST, cache.msg.header.seq,
        encodeLink({}, [linkAttr.extMask(RTEXT_FILTER.VF | RTEXT_FILTER.SKIP_STATS), linkAttr.ifname('eth0')])), cache.bytes);
    });

    it('decodes the veth\'s name, MAC, MTU, kind, operstate and peer from the kernel\'s RTM_NEWLINK', () => {
      const answer = received('link-get-eth0', 3).find((m) => m.header.type === RTM.NEWLINK);
      assert.ok(answer);
      const link = decodeLink(answer.payload, answer.header.type);
      assert.equal(link.index, 2);
      assert.equal(link.name, 'eth0');
      assert.equal(link.address, '02:00:0a:c7:07:02');
      assert.equal(link.mtu, 1450);
      assert.equal(link.kind, 'veth');
      assert.equal(link.operstate, 6);
      assert.equal(link.flags & (IFF.UP | IFF.LOWER_UP), IFF.UP | IFF.LOWER_UP);
      assert.equal(link.link, 2, 'veth-peer is ifindex 2 in the peer namespace');
      assert.equal(link.linkNetnsId, 0);
      assert.equal(link.master, undefined);
    });

    it('assembles a link dump from its multipart messages up to NLMSG_DONE', () => {
      const req = sent('link-dump', 3, 1);
      assert.deepEqual(request(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, req.msg.header.seq,
        encodeLink({ family: AF.PACKET }, [linkAttr.extMask(RTEXT_FILTER.VF)])), req.bytes);
      const msgs = received('link-dump', 3);
      const reply = collectReply(msgs, req.msg.header.seq);
      assert.equal(reply.end?.errno, 0);
      assert.equal(reply.interrupted, false);
      assert.ok(reply.messages.every((m) => (m.header.flags & NLM_F.MULTI) !== 0));
      const links = reply.messages.map((m) => decodeLink(m.payload, m.header.type));
      assert.deepEqual(links.map((l) => [l.name, l.kind]), [['lo', undefined], ['eth0', 'veth'], ['fxbr', 'bridge'], ['fxb', 'veth'], ['fxa', 'veth']]);
      assert.ok((links[0].flags & IFF.LOOPBACK) !== 0);
      // The veth pair inside the namespace names each other.
      assert.equal(links[3].link, links[4].index);
      assert.equal(links[4].link, links[3].index);
    });

    it('collects a dump spread over several datagrams', () => {
      const capture = loadHexFixture('addr-dump');
      const replies = datagrams(capture, 'recv', 3);
      const firstDump = sent('addr-dump', 3, 0).msg.header.seq;
      const msgs = replies.flatMap((d) => decodeMessages(d));
      const reply = collectReply(msgs, firstDump);
      assert.ok(replies.indexOf(replies.find((d) => decodeMessages(d)[0].header.type === NLMSG.DONE)!) >= 3);
      assert.deepEqual(reply.messages.map((m) => decodeLink(m.payload, m.header.type).name), ['lo', 'eth0', 'fxbr', 'fxb', 'fxa']);
    });

    it('re-encodes RTM_NEWLINK creating a macvtap (IFLA_LINK, nested IFLA_LINKINFO) and reads it back', () => {
      const req = sent('link-add-macvtap', 3, 1);
      const IFLA_MACVLAN_MODE = 1;
      const MACVLAN_MODE_BRIDGE = 4;
      assert.deepEqual(request(RTM.NEWLINK, NEW, req.msg.header.seq, encodeLink({}, [
        linkAttr.link(2), linkAttr.ifname('fxm'), linkAttr.linkinfo('macvtap', [nla.u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE)]),
      ])), req.bytes);
      const back = decodeLink(req.msg.payload, req.msg.header.type);
      assert.deepEqual([back.name, back.link, back.kind], ['fxm', 2, 'macvtap']);
      const ack = received('link-add-macvtap', 3).at(-1)!;
      assert.equal(decodeAck(ack.payload, ack.header.flags).errno, 0);
    });

    it('re-encodes RTM_NEWLINK setting IFLA_MASTER, and one setting IFLA_ADDRESS and IFLA_MTU', () => {
      const master = sent('link-set-master', 3, 1);
      assert.deepEqual(request(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK, master.msg.header.seq,
        encodeLink({ index: 5 }, [linkAttr.master(3)])), master.bytes);
      const set = sent('link-set-mtu-mac', 3, 2);
      assert.deepEqual(request(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK, set.msg.header.seq,
        encodeLink({ index: 4 }, [linkAttr.address('02:00:0a:c7:07:0b'), linkAttr.mtu(1400)])), set.bytes);
      const back = decodeLink(set.msg.payload, set.msg.header.type);
      assert.deepEqual([back.index, back.address, back.mtu], [4, '02:00:0a:c7:07:0b', 1400]);
    });

    it('round-trips IFLA_OPERSTATE and a flagged nested IFLA_LINKINFO', () => {
      const attrs: AttributeSpec[] = [linkAttr.ifname('tap0'), linkAttr.operstate(6), nla.nested(IFLA.LINKINFO, [nla.string(1, 'tun')], true)];
      const link = decodeLink(encodeLink({ index: 9, flags: IFF.UP }, attrs), RTM.NEWLINK);
      assert.deepEqual([link.index, link.flags, link.name, link.operstate, link.kind], [9, IFF.UP, 'tap0', 6, 'tun']);
    });
  });

  describe('addresses (ifaddrmsg)', () => {
    it('re-encodes ip\'s RTM_GETADDR dump request (ip pads it with zeros past nlmsg_len)', () => {
      const req = sent('addr-dump', 3, 1);
      assert.ok(req.datagram.length > req.bytes.length);
      assert.deepEqual(request(RTM.GETADDR, NLM_F.REQUEST | NLM_F.DUMP, req.msg.header.seq, encodeAddress({ family: AF.UNSPEC })), req.bytes);
    });

    it('decodes IPv4 and IPv6 addresses with prefix length, scope and label', () => {
      const seq = sent('addr-dump', 3, 1).msg.header.seq;
      const addrs = collectReply(received('addr-dump', 3), seq).messages.map((m) => decodeAddress(m.payload, m.header.type));
      const eth0 = addrs.filter((a) => a.index === 2);
      assert.deepEqual(eth0.map((a) => [a.family, a.local ?? a.address, a.prefixLength]), [
        [AF.INET, '10.199.7.2', 24], [AF.INET6, 'fd00:199::2', 64], [AF.INET6, 'fe80::aff:fec7:702', 64],
      ]);
      assert.equal(eth0[0].label, 'eth0');
      assert.equal(eth0[2].scope, RT_SCOPE.LINK);
      assert.ok(isIPv6LinkLocal(eth0[2].address!));
      assert.deepEqual(addrs.filter((a) => a.index === 1).map((a) => a.address), ['127.0.0.1', '::1']);
    });

    it('re-encodes RTM_NEWADDR with IFA_LOCAL, IFA_LABEL, IFA_ADDRESS and decodes its ACK', () => {
      const req = sent('addr-add', 3, 0);
      assert.deepEqual(request(RTM.NEWADDR, NEW, req.msg.header.seq, encodeAddress({ family: AF.INET, prefixLength: 24, index: 2 }, [
        addrAttr.local('10.199.7.9'), addrAttr.label('eth0:fx'), addrAttr.address('10.199.7.9'),
      ])), req.bytes);
      const ack = received('addr-add', 3)[0];
      assert.equal(ack.header.type, NLMSG.ERROR);
      const decoded = decodeAck(ack.payload, ack.header.flags);
      assert.equal(decoded.errno, 0);
      assert.deepEqual([decoded.request?.type, decoded.request?.seq], [RTM.NEWADDR, req.msg.header.seq]);
    });
  });

  describe('routes (rtmsg)', () => {
    it('decodes the IPv4 main table: default via a gateway, and the kernel\'s prefix route', () => {
      const req = sent('route4-dump', 3, 0);
      assert.deepEqual(request(RTM.GETROUTE, NLM_F.REQUEST | NLM_F.DUMP, req.msg.header.seq,
        encodeRoute({ family: AF.INET }, [routeAttr.table(RT_TABLE.MAIN)])), req.bytes);
      const routes = collectReply(received('route4-dump', 3), req.msg.header.seq).messages.map((m) => decodeRoute(m.payload, m.header.type));
      assert.deepEqual(routes.map((r) => [r.destination, r.dstLength, r.gateway, r.oif, r.protocol, r.scope, r.prefsrc]), [
        [undefined, 0, '10.199.7.1', 2, RTPROT.BOOT, RT_SCOPE.UNIVERSE, undefined],
        ['10.199.7.0', 24, undefined, 2, RTPROT.KERNEL, RT_SCOPE.LINK, '10.199.7.2'],
      ]);
      assert.ok(routes.every((r) => r.table === RT_TABLE.MAIN && r.type === RTN.UNICAST));
    });

    it('decodes IPv6 routes with their metric (RTA_PRIORITY)', () => {
      const req = sent('route6-dump', 3, 0);
      const routes = collectReply(received('route6-dump', 3), req.msg.header.seq).messages.map((m) => decodeRoute(m.payload, m.header.type));
      assert.deepEqual(routes.map((r) => [r.destination, r.dstLength, r.priority, r.protocol]), [
        ['fd00:199::', 64, 256, RTPROT.KERNEL], ['fe80::', 64, 256, RTPROT.KERNEL],
      ]);
    });

    it('re-encodes RTM_NEWROUTE with RTA_DST, RTA_GATEWAY, RTA_PREFSRC, RTA_PRIORITY, RTA_OIF', () => {
      const req = sent('route-add', 3, 0);
      assert.deepEqual(request(RTM.NEWROUTE, NEW, req.msg.header.seq, encodeRoute(
        { family: AF.INET, dstLength: 24, table: RT_TABLE.MAIN, protocol: RTPROT.BOOT, scope: RT_SCOPE.UNIVERSE, type: RTN.UNICAST },
        [routeAttr.dst('10.199.8.0'), routeAttr.gateway('10.199.7.1'), routeAttr.prefsrc('10.199.7.2'), routeAttr.priority(50), routeAttr.oif(2)],
      )), req.bytes);
    });

    it('re-encodes a route into table 1000, which only RTA_TABLE can carry, and decodes the table back', () => {
      const req = sent('route-add-table', 3, 0);
      assert.deepEqual(request(RTM.NEWROUTE, NEW, req.msg.header.seq, encodeRoute(
        { family: AF.INET, dstLength: 24, table: RT_TABLE.UNSPEC, protocol: RTPROT.BOOT, scope: RT_SCOPE.LINK, type: RTN.UNICAST },
        [routeAttr.dst('10.199.9.0'), routeAttr.table(1000), routeAttr.oif(2)],
      )), req.bytes);
      assert.equal(decodeRoute(req.msg.payload, req.msg.header.type).table, 1000);
    });

    it('reads the errno and the kernel\'s extended-ack text of a refused route', () => {
      const req = sent('route-add-bad-gateway', 3, 0);
      const reply = collectReply(received('route-add-bad-gateway', 3), req.msg.header.seq);
      assert.deepEqual(reply.messages, []);
      assert.equal(reply.end?.errnoName, 'ENETUNREACH');
      assert.equal(reply.end?.kernelMessage, 'Nexthop has invalid gateway');
      assert.equal(reply.end?.request?.seq, req.msg.header.seq);
    });
  });

  describe('neighbours (ndmsg)', () => {
    it('decodes the permanent neighbour and the kernel\'s NOARP multicast entries', () => {
      const req = sent('neigh-dump', 3, 1);
      assert.deepEqual(request(RTM.GETNEIGH, NLM_F.REQUEST | NLM_F.DUMP, req.msg.header.seq, encodeNeighbor({ family: AF.UNSPEC })), req.bytes);
      const neigh = collectReply(received('neigh-dump', 3), req.msg.header.seq).messages.map((m) => decodeNeighbor(m.payload, m.header.type));
      assert.deepEqual(neigh[0], { family: AF.INET, index: 2, state: NUD.PERMANENT, flags: 0, type: RTN.UNICAST, destination: '10.199.7.1', lladdr: '02:00:0a:c7:07:01' });
      assert.ok(neigh.slice(1).every((n) => n.family === AF.INET6 && n.state === NUD.NOARP && n.destination!.startsWith('ff02::')));
    });

    it('re-encodes RTM_NEWNEIGH with NDA_DST and NDA_LLADDR', () => {
      const req = sent('neigh-add', 3, 1);
      assert.deepEqual(request(RTM.NEWNEIGH, NEW, req.msg.header.seq, encodeNeighbor({ family: AF.INET, index: 2, state: NUD.PERMANENT },
        [neighAttr.dst('10.199.7.30'), neighAttr.lladdr('02:00:0a:c7:07:1e')])), req.bytes);
    });
  });

  describe('errors', () => {
    it('decodes NLMSG_ERROR -ENODEV with the whole request echoed back', () => {
      const req = sent('link-get-missing', 4, 0);
      assert.deepEqual(request(RTM.GETLINK, NLM_F.REQUEST, req.msg.header.seq,
        encodeLink({}, [linkAttr.extMask(RTEXT_FILTER.VF | RTEXT_FILTER.SKIP_STATS), linkAttr.ifname('nope0')])), req.bytes);
      const reply = collectReply(received('link-get-missing', 4), req.msg.header.seq);
      assert.deepEqual([reply.end?.errno, reply.end?.errnoName, reply.end?.kernelMessage], [19, 'ENODEV', undefined]);
      assert.deepEqual(reply.end?.request, { type: RTM.GETLINK, flags: NLM_F.REQUEST, seq: req.msg.header.seq, pid: 0 });
    });
  });
});
