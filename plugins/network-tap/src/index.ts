// SPDX-License-Identifier: Apache-2.0
// Re-exports only. No plugin.ts yet: the package is not selectable until the tap driver exists (issue #4).
export { discoverEndpoints } from './endpoint-discovery';
export type { DiscoveredEndpoints, DiscoveredInterface, DiscoverOptions } from './endpoint-discovery';
export { NetworkErrors } from './network-errors';
export { NetlinkClient } from './netlink/netlink-client';
export type { NetlinkClientOptions } from './netlink/netlink-client';
export { currentNetns, runInNetns, runInNetnsSync } from './netlink/netns';
export * from './netlink/netlink-message';
export * from './netlink/netlink-attributes';
export * from './netlink/rtnetlink-codec';
export * from './netlink/rtnetlink-constants';
export { formatIp, formatMac, isIPv6LinkLocal, parseIp, parseMac } from './netlink/ip-address';
