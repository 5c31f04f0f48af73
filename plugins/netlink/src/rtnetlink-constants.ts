// SPDX-License-Identifier: Apache-2.0
/**
 * The rtnetlink numbers Cella uses, from the Linux UAPI headers (linux/netlink.h, linux/rtnetlink.h,
 * linux/if_link.h, linux/if_addr.h, linux/neighbour.h). Tables are plain objects so that decode errors can
 * name an attribute (`attributeName(IFLA, 'IFLA', 4)` → 'IFLA_MTU').
 */

export const AF = { UNSPEC: 0, INET: 2, INET6: 10, PACKET: 17 } as const;

/** Control message types (linux/netlink.h). */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

/** nlmsg_flags; GET requests use ROOT/MATCH/DUMP, NEW requests REPLACE/EXCL/CREATE/APPEND, ACKs CAPPED/ACK_TLVS. */
export const NLM_F = {
  REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8, DUMP_INTR: 0x10, DUMP_FILTERED: 0x20,
  ROOT: 0x100, MATCH: 0x200, DUMP: 0x300,
  REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800,
  CAPPED: 0x100, ACK_TLVS: 0x200,
} as const;

/** Extended-ack attributes after an NLMSG_ERROR or NLMSG_DONE payload. */
export const NLMSGERR_ATTR = { MSG: 1, OFFS: 2, COOKIE: 3 } as const;

export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
} as const;

export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, QDISC: 6, STATS: 7, MASTER: 10, TXQLEN: 13,
  OPERSTATE: 16, LINKMODE: 17, LINKINFO: 18, NET_NS_PID: 19, EXT_MASK: 29, NUM_TX_QUEUES: 31,
  NUM_RX_QUEUES: 32, LINK_NETNSID: 37, MIN_MTU: 50, MAX_MTU: 51,
} as const;

export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;

/** IFLA_EXT_MASK bits (RTEXT_FILTER_*). */
export const RTEXT_FILTER = { VF: 0x1, BRVLAN: 0x2, BRVLAN_COMPRESSED: 0x4, SKIP_STATS: 0x8 } as const;

/** ifi_flags bits (linux/if.h). */
export const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, POINTOPOINT: 0x10, RUNNING: 0x40, NOARP: 0x80, LOWER_UP: 0x10000 } as const;

/** IFLA_OPERSTATE values (RFC 2863), index = value. */
export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;

export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, MULTICAST: 7, FLAGS: 8 } as const;

export const RTA = {
  DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, METRICS: 8, MULTIPATH: 9,
  FLOW: 11, CACHEINFO: 12, TABLE: 15, MARK: 16, PREF: 20, VIA: 18, ENCAP_TYPE: 21, ENCAP: 22,
} as const;

/** Routing tables, protocols (who installed a route), scopes and types (linux/rtnetlink.h). */
export const RT_TABLE = { UNSPEC: 0, DEFAULT: 253, MAIN: 254, LOCAL: 255 } as const;
export const RTPROT = { UNSPEC: 0, REDIRECT: 1, KERNEL: 2, BOOT: 3, STATIC: 4, RA: 9, DHCP: 16 } as const;
export const RT_SCOPE = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;
export const RTN = { UNSPEC: 0, UNICAST: 1, LOCAL: 2, BROADCAST: 3, ANYCAST: 4, MULTICAST: 5, BLACKHOLE: 6, UNREACHABLE: 7 } as const;

export const NDA = { DST: 1, LLADDR: 2, CACHEINFO: 3, PROBES: 4 } as const;

/** Neighbour states (ndm_state bits). */
export const NUD = {
  INCOMPLETE: 0x01, REACHABLE: 0x02, STALE: 0x04, DELAY: 0x08, PROBE: 0x10, FAILED: 0x20, NOARP: 0x40, PERMANENT: 0x80,
} as const;

/** ndm_flags bits. */
export const NTF = { USE: 0x01, SELF: 0x02, MASTER: 0x04, PROXY: 0x08, ROUTER: 0x80 } as const;

/** Turns an attribute number into its UAPI name for error messages ('IFLA_MTU'), or '<PREFIX>_#<n>'. */
export function attributeName(table: Readonly<Record<string, number>>, prefix: string, type: number): string {
  for (const [name, value] of Object.entries(table)) if (value === type) return `${prefix}_${name}`;
  return `${prefix}_#${type}`;
}

/** Names a message type for errors and logs ('RTM_NEWLINK', 'NLMSG_ERROR'), or 'type <n>'. */
export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(NLMSG)) if (value === type) return `NLMSG_${name}`;
  for (const [name, value] of Object.entries(RTM)) if (value === type) return `RTM_${name}`;
  return `type ${type}`;
}
