// SPDX-License-Identifier: Apache-2.0
/**
 * The traffic-control numbers Cella uses, from the Linux UAPI headers (linux/rtnetlink.h, linux/pkt_sched.h,
 * linux/pkt_cls.h, linux/tc_act/tc_mirred.h, linux/if_ether.h).
 */

/** Message types of qdiscs and filters. */
export const RTM_TC = { NEWQDISC: 36, DELQDISC: 37, GETQDISC: 38, NEWTFILTER: 44, DELTFILTER: 45, GETTFILTER: 46 } as const;

/** Attributes after struct tcmsg. */
export const TCA = {
  KIND: 1, OPTIONS: 2, STATS: 3, XSTATS: 4, RATE: 5, FCNT: 6, STATS2: 7, STAB: 8, PAD: 9, DUMP_INVISIBLE: 10,
  CHAIN: 11, HW_OFFLOAD: 12, INGRESS_BLOCK: 13, EGRESS_BLOCK: 14, DUMP_FLAGS: 15, EXT_WARN_MSG: 16,
} as const;

/** The u32 classifier's options. */
export const TCA_U32 = { CLASSID: 1, HASH: 2, LINK: 3, DIVISOR: 4, SEL: 5, POLICE: 6, ACT: 7, INDEV: 8, PCNT: 9, MARK: 10, FLAGS: 11, PAD: 12 } as const;

/** TC_U32_TERMINAL: a match ends the lookup (tc_u32_sel.flags). */
export const TC_U32_TERMINAL = 0x1;

/** One action of a filter's action list (the list is nested by order: 1, 2, …). */
export const TCA_ACT = {
  KIND: 1, OPTIONS: 2, INDEX: 3, STATS: 4, PAD: 5, COOKIE: 6, FLAGS: 7, HW_STATS: 8, USED_HW_STATS: 9, IN_HW_COUNT: 10,
} as const;

export const TCA_MIRRED = { TM: 1, PARMS: 2, PAD: 3, BLOCKID: 4 } as const;

/** tc_mirred.eaction. */
export const MIRRED_EACTION = { EGRESS_REDIR: 1, EGRESS_MIRROR: 2, INGRESS_REDIR: 3, INGRESS_MIRROR: 4 } as const;

/** Verdicts (tc_gen.action); a redirect steals the packet. */
export const TC_ACT = { OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4 } as const;

/** Qdisc handles and parents. The ingress qdisc is always ffff: under the pseudo-parent ffff:fff1. */
export const TC_H = { UNSPEC: 0, ROOT: 0xffffffff, INGRESS: 0xfffffff1, INGRESS_HANDLE: 0xffff0000 } as const;

/** Which option carries the action list, per classifier kind (TCA_<KIND>_ACT). */
export const CLASSIFIER_ACT_ATTRIBUTE: Readonly<Record<string, number>> = { u32: TCA_U32.ACT, matchall: 2, flower: 3, basic: 3, bpf: 1 };

/** ETH_P_ALL: a filter for every protocol. */
export const ETH_P_ALL = 0x0003;

/** Names a tc message type for errors ('RTM_NEWQDISC'), or undefined. */
export function tcMessageTypeName(type: number): string | undefined {
  for (const [name, value] of Object.entries(RTM_TC)) if (value === type) return `RTM_${name}`;
  return undefined;
}
