// SPDX-License-Identifier: Apache-2.0
import { type AttributeNames, type AttributeSpec, AttributeSet, decodeFailure, encodeAttributes, nla } from './netlink-attributes';
import { messageTypeName } from './rtnetlink-constants';
import {
  CLASSIFIER_ACT_ATTRIBUTE, MIRRED_EACTION, TCA, TCA_ACT, TCA_MIRRED, TCA_U32, TC_ACT, TC_U32_TERMINAL, tcMessageTypeName,
} from './tc-constants';

/**
 * Traffic control over rtnetlink: struct tcmsg (u8 family, 3 pad, i32 ifindex, u32 handle, u32 parent,
 * u32 info) and its attributes, for qdiscs and filters. Encoders build what `tc` sends (tc-codec.test.ts
 * compares bytes); decoders read the kernel's dumps, bounded like the rest of the codec.
 */

const TCMSG_SIZE = 20;
/** struct tc_mirred: tc_gen (u32 index, u32 capab, int action, int refcnt, int bindcnt), int eaction, u32 ifindex. */
const TC_MIRRED_SIZE = 28;
/** struct tc_u32_sel (16 bytes) followed by nkeys struct tc_u32_key (16 bytes each). */
const TC_U32_SEL_SIZE = 16;
const TC_U32_KEY_SIZE = 16;

const TCA_NAMES: AttributeNames = { table: TCA, prefix: 'TCA' };
const TCA_ACT_NAMES: AttributeNames = { table: TCA_ACT, prefix: 'TCA_ACT' };
const TCA_MIRRED_NAMES: AttributeNames = { table: TCA_MIRRED, prefix: 'TCA_MIRRED' };
const ACTION_LIST_NAMES: AttributeNames = { table: {}, prefix: 'action' };

export interface TcHeader { family?: number; index: number; handle?: number; parent?: number; info?: number }

export interface TcQdisc { index: number; kind: string; handle: number; parent: number }

/** A mirred action: `eaction` MIRRED_EACTION, `action` the verdict (TC_ACT_STOLEN for a redirect). */
export interface MirredAction { eaction: number; action: number; ifindex: number; index: number }

export interface TcAction { kind: string; mirred?: MirredAction }

export interface TcFilter {
  index: number; kind: string; handle: number; parent: number;
  /** Preference (tcm_info's upper half; the kernel picks one when 0 is sent). */
  priority: number;
  /** Ethernet protocol in host order (ETH_P_ALL = 3). */
  protocol: number;
  chain: number | undefined;
  actions: TcAction[];
  /** The ifindex of the first mirred egress redirect among the actions. */
  redirectTo?: number;
}

export function encodeTc(h: TcHeader, attrs: readonly AttributeSpec[] = []): Buffer {
  const fixed = Buffer.alloc(TCMSG_SIZE);
  fixed.writeUInt8(h.family ?? 0, 0);
  fixed.writeInt32LE(h.index, 4);
  fixed.writeUInt32LE((h.handle ?? 0) >>> 0, 8);
  fixed.writeUInt32LE((h.parent ?? 0) >>> 0, 12);
  fixed.writeUInt32LE((h.info ?? 0) >>> 0, 16);
  return Buffer.concat([fixed, encodeAttributes(attrs)]);
}

/** tcm_info of a filter: preference in the upper 16 bits, the protocol in network order in the lower. */
export function filterInfo(priority: number, protocol: number): number {
  return ((priority & 0xffff) << 16 | ((protocol & 0xff) << 8) | ((protocol >> 8) & 0xff)) >>> 0;
}

/** Typed attribute builders for tc requests. */
export const tcAttr = {
  kind: (kind: string): AttributeSpec => nla.string(TCA.KIND, kind),
  /** u32 options matching every packet (one key, mask 0, terminal), then `actions`: tc's `u32 match u8 0 0 action …`. */
  u32MatchAll: (actions: AttributeSpec[]): AttributeSpec => nla.nested(TCA.OPTIONS, [
    nla.nested(TCA_U32.ACT, actions),
    nla.bytes(TCA_U32.SEL, u32Selector(TC_U32_TERMINAL, [{ mask: 0, value: 0, offset: 0 }])),
  ]),
  /** Action `order` of a list: mirred egress redirect to `ifindex`, stealing the packet. */
  mirredRedirect: (order: number, ifindex: number): AttributeSpec => nla.nested(order, [
    nla.string(TCA_ACT.KIND, 'mirred'),
    nla.nested(TCA_ACT.OPTIONS, [nla.bytes(TCA_MIRRED.PARMS, mirredParms(MIRRED_EACTION.EGRESS_REDIR, TC_ACT.STOLEN, ifindex))], true),
  ]),
};

function u32Selector(flags: number, keys: ReadonlyArray<{ mask: number; value: number; offset: number }>): Buffer {
  const out = Buffer.alloc(TC_U32_SEL_SIZE + keys.length * TC_U32_KEY_SIZE);
  out.writeUInt8(flags, 0);
  out.writeUInt8(keys.length, 2);
  keys.forEach((k, i) => {
    const at = TC_U32_SEL_SIZE + i * TC_U32_KEY_SIZE;
    out.writeUInt32BE(k.mask >>> 0, at);
    out.writeUInt32BE(k.value >>> 0, at + 4);
    out.writeInt32LE(k.offset, at + 8);
  });
  return out;
}

function mirredParms(eaction: number, action: number, ifindex: number): Buffer {
  const out = Buffer.alloc(TC_MIRRED_SIZE);
  out.writeInt32LE(action, 8);
  out.writeInt32LE(eaction, 20);
  out.writeUInt32LE(ifindex >>> 0, 24);
  return out;
}

export function decodeQdisc(payload: Buffer, type: number): TcQdisc {
  const { header, attrs } = decodeTcMessage(payload, type);
  return { index: header.index, kind: kindOf(attrs), handle: header.handle, parent: header.parent };
}

export function decodeFilter(payload: Buffer, type: number): TcFilter {
  const { header, attrs } = decodeTcMessage(payload, type);
  const kind = kindOf(attrs);
  const act = CLASSIFIER_ACT_ATTRIBUTE[kind];
  const options = act === undefined ? undefined : attrs.nested(TCA.OPTIONS, { table: { ACT: act }, prefix: `TCA_${kind.toUpperCase()}` });
  const list = options?.nested(act!, ACTION_LIST_NAMES);
  const actions = list?.list.map((a) => decodeAction(AttributeSet.decode(a.value, `${attrs.where} action ${a.type}`, TCA_ACT_NAMES))) ?? [];
  const redirect = actions.find((a) => a.mirred?.eaction === MIRRED_EACTION.EGRESS_REDIR);
  return {
    index: header.index, kind, handle: header.handle, parent: header.parent,
    priority: header.info >>> 16, protocol: ((header.info & 0xff) << 8) | ((header.info >> 8) & 0xff),
    chain: attrs.u32(TCA.CHAIN), actions,
    ...(redirect ? { redirectTo: redirect.mirred!.ifindex } : {}),
  };
}

/**
 * False for the entries a u32 dump shows besides its filters: the classifier head (handle 0) and its hash
 * tables (node id 0, e.g. 800:); true for everything else.
 */
export function isFilterEntry(f: TcFilter): boolean {
  return f.kind !== 'u32' || (f.handle & 0xfff) !== 0;
}

function decodeAction(a: AttributeSet): TcAction {
  const kind = a.string(TCA_ACT.KIND) ?? '';
  if (kind !== 'mirred') return { kind };
  const parms = a.nested(TCA_ACT.OPTIONS, TCA_MIRRED_NAMES)?.bytes(TCA_MIRRED.PARMS);
  if (parms === undefined) return { kind };
  if (parms.length < TC_MIRRED_SIZE) {
    throw decodeFailure(`${a.where} TCA_MIRRED_PARMS`, `value has ${parms.length} bytes, fewer than the ${TC_MIRRED_SIZE} of struct tc_mirred`);
  }
  return {
    kind,
    mirred: { index: parms.readUInt32LE(0), action: parms.readInt32LE(8), eaction: parms.readInt32LE(20), ifindex: parms.readUInt32LE(24) },
  };
}

interface TcMessage { header: Required<TcHeader>; attrs: AttributeSet }

function decodeTcMessage(payload: Buffer, type: number): TcMessage {
  const where = tcMessageTypeName(type) ?? messageTypeName(type);
  if (payload.length < TCMSG_SIZE) throw decodeFailure(`${where} tcmsg`, `a payload of ${payload.length} bytes is shorter than the ${TCMSG_SIZE}-byte struct`);
  return {
    header: {
      family: payload.readUInt8(0), index: payload.readInt32LE(4), handle: payload.readUInt32LE(8),
      parent: payload.readUInt32LE(12), info: payload.readUInt32LE(16),
    },
    attrs: AttributeSet.decode(payload.subarray(TCMSG_SIZE), where, TCA_NAMES),
  };
}

function kindOf(attrs: AttributeSet): string {
  const kind = attrs.string(TCA.KIND);
  if (kind === undefined) throw decodeFailure(attrs.where, 'TCA_KIND is missing');
  return kind;
}
