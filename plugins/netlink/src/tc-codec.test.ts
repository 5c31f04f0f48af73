// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { datagrams, loadHexFixture } from './hex-fixture';
import { type AttributeSpec, nla } from './netlink-attributes';
import { type NetlinkMessage, collectReply, decodeAck, decodeMessages, encodeMessage } from './netlink-message';
import { decodeLink } from './rtnetlink-codec';
import { NLMSG, NLM_F, RTM } from './rtnetlink-constants';
import { decodeFilter, decodeQdisc, encodeTc, filterInfo, isFilterEntry, tcAttr } from './tc-codec';
import { ETH_P_ALL, MIRRED_EACTION, RTM_TC, TCA, TCA_ACT, TCA_MIRRED, TCA_U32, TC_ACT, TC_H } from './tc-constants';

// Captured from tc (iproute2 6.1) by fixtures/capture.sh: namespace cella-fx with eth0 (a veth) and tap
// fxtap; tc's one socket is fd 3. tc first dumps the links to map names to ifindexes, so every fixture
// carries the ifindexes it used, and the tests read them from there rather than assuming them.

function sent(fixture: string, index: number): NetlinkMessage & { bytes: Buffer } {
  const d = datagrams(loadHexFixture(fixture), 'send', 3)[index];
  const bytes = d.subarray(0, d.readUInt32LE(0));
  return { ...decodeMessages(bytes)[0], bytes };
}

function received(fixture: string): NetlinkMessage[] {
  return datagrams(loadHexFixture(fixture), 'recv', 3).flatMap((d) => decodeMessages(d));
}

/** name → ifindex from tc's own RTM_GETLINK dump at the start of the capture. */
function ifindexes(fixture: string): Map<string, number> {
  const links = received(fixture).filter((m) => m.header.type === RTM.NEWLINK).map((m) => decodeLink(m.payload, m.header.type));
  return new Map(links.map((l) => [l.name ?? '', l.index]));
}

function reencode(type: number, flags: number, seq: number, body: Buffer): Buffer {
  return encodeMessage({ type, flags, seq, pid: 0 }, body);
}

const NEW = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;
const INGRESS = { handle: TC_H.INGRESS_HANDLE, parent: TC_H.INGRESS };

describe('tc codec against bytes captured from tc', () => {
  it('re-encodes tc\'s RTM_NEWQDISC of an ingress qdisc byte for byte, and reads its ACK', () => {
    const eth0 = ifindexes('tc-qdisc-add-ingress').get('eth0')!;
    const req = sent('tc-qdisc-add-ingress', 1);
    assert.equal(req.header.type, RTM_TC.NEWQDISC);
    assert.deepEqual(reencode(RTM_TC.NEWQDISC, NEW, req.header.seq, encodeTc({ index: eth0, ...INGRESS }, [tcAttr.kind('ingress')])), req.bytes);
    const reply = collectReply(received('tc-qdisc-add-ingress'), req.header.seq);
    assert.equal(reply.end?.errno, 0);
  });

  it('re-encodes tc\'s u32 match-all filter with a mirred egress redirect byte for byte', () => {
    const names = ifindexes('tc-filter-add-redirect');
    const req = sent('tc-filter-add-redirect', 1);
    assert.equal(req.header.type, RTM_TC.NEWTFILTER);
    const body = encodeTc({ index: names.get('eth0')!, parent: TC_H.INGRESS_HANDLE, info: filterInfo(0, ETH_P_ALL) },
      [tcAttr.kind('u32'), tcAttr.u32MatchAll([tcAttr.mirredRedirect(1, names.get('fxtap')!)])]);
    assert.deepEqual(reencode(RTM_TC.NEWTFILTER, NEW, req.header.seq, body), req.bytes);
    assert.equal(collectReply(received('tc-filter-add-redirect'), req.header.seq).end?.errno, 0);
  });

  it('reads the request tc sent back as a filter redirecting to the tap', () => {
    const names = ifindexes('tc-filter-add-redirect');
    const req = sent('tc-filter-add-redirect', 1);
    const f = decodeFilter(req.payload, req.header.type);
    assert.deepEqual([f.kind, f.index, f.protocol, f.priority, f.redirectTo], ['u32', names.get('eth0'), ETH_P_ALL, 0, names.get('fxtap')]);
    assert.deepEqual(f.actions[0].mirred, { index: 0, action: TC_ACT.STOLEN, eaction: MIRRED_EACTION.EGRESS_REDIR, ifindex: names.get('fxtap') });
  });

  it('re-encodes tc\'s qdisc dump request and keeps the ingress qdisc of the asked link only', () => {
    const names = ifindexes('tc-qdisc-dump');
    const eth0 = names.get('eth0')!;
    const req = sent('tc-qdisc-dump', 1);
    assert.deepEqual(reencode(RTM_TC.GETQDISC, NLM_F.REQUEST | NLM_F.DUMP, req.header.seq, encodeTc({ index: eth0 })), req.bytes);
    const reply = collectReply(received('tc-qdisc-dump'), req.header.seq);
    assert.equal(reply.end?.errno, 0);
    const all = reply.messages.map((m) => decodeQdisc(m.payload, m.header.type));
    // The kernel ignores tcm_ifindex in a qdisc dump: the tap's ingress qdisc comes too.
    assert.ok(all.some((q) => q.index === names.get('fxtap') && q.kind === 'ingress'));
    // eth0 (a veth that is up) has the kernel's noqueue root qdisc besides the ingress qdisc tc added.
    assert.deepEqual(all.filter((q) => q.index === eth0), [
      { index: eth0, kind: 'noqueue', handle: 0, parent: TC_H.ROOT },
      { index: eth0, kind: 'ingress', handle: TC_H.INGRESS_HANDLE, parent: TC_H.INGRESS },
    ]);
  });

  it('decodes tc\'s filter dump: u32 head and hash table skipped, the key node redirecting to the tap kept', () => {
    const names = ifindexes('tc-filter-dump');
    const req = sent('tc-filter-dump', 1);
    assert.deepEqual(reencode(RTM_TC.GETTFILTER, NLM_F.REQUEST | NLM_F.DUMP, req.header.seq,
      encodeTc({ index: names.get('eth0')!, parent: TC_H.INGRESS_HANDLE })), req.bytes);
    const all = collectReply(received('tc-filter-dump'), req.header.seq).messages.map((m) => decodeFilter(m.payload, m.header.type));
    assert.deepEqual(all.map((f) => f.handle.toString(16)), ['0', '80000000', '80000800']);
    const kept = all.filter(isFilterEntry);
    assert.equal(kept.length, 1);
    assert.deepEqual([kept[0].kind, kept[0].parent, kept[0].priority, kept[0].protocol, kept[0].chain, kept[0].redirectTo],
      ['u32', TC_H.INGRESS_HANDLE, 49152, ETH_P_ALL, 0, names.get('fxtap')]);
    assert.deepEqual(kept[0].actions[0].mirred, { index: 1, action: TC_ACT.STOLEN, eaction: MIRRED_EACTION.EGRESS_REDIR, ifindex: names.get('fxtap') });
  });

  it('re-encodes tc\'s RTM_DELQDISC, and reads the kernel\'s refusal when there is no ingress qdisc', () => {
    const eth0 = ifindexes('tc-qdisc-del-ingress').get('eth0')!;
    const req = sent('tc-qdisc-del-ingress', 1);
    assert.deepEqual(reencode(RTM_TC.DELQDISC, NLM_F.REQUEST | NLM_F.ACK, req.header.seq, encodeTc({ index: eth0, ...INGRESS }, [tcAttr.kind('ingress')])), req.bytes);
    const missing = sent('tc-qdisc-del-missing', 1);
    const end = received('tc-qdisc-del-missing').find((m) => m.header.type === NLMSG.ERROR)!;
    const ack = decodeAck(end.payload, end.header.flags);
    assert.deepEqual([ack.errnoName, ack.kernelMessage, ack.request?.seq], ['EINVAL', 'Invalid handle', missing.header.seq]);
  });
});

describe('tc codec decoding bounds', () => {
  const filterWith = (options: AttributeSpec[]): Buffer => encodeTc({ index: 2, parent: TC_H.INGRESS_HANDLE }, [tcAttr.kind('u32'), nla.nested(TCA.OPTIONS, options)]);
  const malformed = (err: unknown): boolean => isCellaError(err, 'E_NETWORK_NETLINK_DECODE');

  it('refuses a tcmsg shorter than its 20 bytes', () => {
    assert.throws(() => decodeQdisc(Buffer.alloc(19), RTM_TC.NEWQDISC), (err: unknown) => malformed(err) && /tcmsg/.test(String((err as { details: { where: string } }).details.where)));
  });

  it('refuses a qdisc or filter without TCA_KIND', () => {
    assert.throws(() => decodeQdisc(encodeTc({ index: 2 }), RTM_TC.NEWQDISC), malformed);
  });

  it('refuses a mirred action whose parameters are shorter than struct tc_mirred', () => {
    const short = filterWith([nla.nested(TCA_U32.ACT, [nla.nested(1, [
      nla.string(TCA_ACT.KIND, 'mirred'), nla.nested(TCA_ACT.OPTIONS, [nla.bytes(TCA_MIRRED.PARMS, Buffer.alloc(24))]),
    ])])]);
    assert.throws(() => decodeFilter(short, RTM_TC.NEWTFILTER), malformed);
  });

  it('refuses an action list whose attribute length points past its nest', () => {
    const body = filterWith([nla.nested(TCA_U32.ACT, [nla.nested(1, [nla.string(TCA_ACT.KIND, 'mirred')])])]);
    const at = body.indexOf(Buffer.from('mirred')) - 4; // the TCA_ACT_KIND header
    body.writeUInt16LE(200, at);
    assert.throws(() => decodeFilter(body, RTM_TC.NEWTFILTER), malformed);
  });

  it('keeps filters of other kinds and actions other than mirred without a redirect', () => {
    const f = decodeFilter(encodeTc({ index: 3, handle: 1 }, [tcAttr.kind('matchall'), nla.nested(TCA.OPTIONS, [
      nla.nested(2, [nla.nested(1, [nla.string(TCA_ACT.KIND, 'gact')])]),
    ])]), RTM_TC.NEWTFILTER);
    assert.deepEqual([f.kind, f.actions, f.redirectTo, isFilterEntry(f)], ['matchall', [{ kind: 'gact' }], undefined, true]);
  });

  it('puts the preference high and the protocol in network order in tcm_info', () => {
    assert.equal(filterInfo(49152, ETH_P_ALL), 0xc0000300);
    assert.equal(filterInfo(1, 0x0800), 0x00010008);
  });
});
