// SPDX-License-Identifier: Apache-2.0
// The netlink module: everything Cella says to the kernel over rtnetlink goes through here (ADR 0007).
export { discoverEndpoints } from './endpoint-discovery';
export type { DiscoveredEndpoints, DiscoveredInterface, DiscoverOptions } from './endpoint-discovery';
export { NetworkErrors } from './network-errors';
export { NetlinkClient } from './netlink-client';
export type { NetlinkClientOptions } from './netlink-client';
export { currentNetns, runInNetns, runInNetnsSync } from './netns';
export * from './netlink-message';
export * from './netlink-attributes';
export * from './rtnetlink-codec';
export * from './rtnetlink-constants';
export { formatIp, formatMac, isIPv6LinkLocal, parseIp, parseMac } from './ip-address';
