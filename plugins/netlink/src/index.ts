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
export * from './netlink-undo';
export { formatIp, formatMac, isIPv6LinkLocal, parseIp, parseMac } from './ip-address';
export { loadNetlinkModules } from './native-modules';
export { closeFds, openTapQueues } from './tun';
export type { TapQueueOptions } from './tun';
export { openMacvtapQueues } from './macvtap-queues';
export type { MacvtapQueueOptions } from './macvtap-queues';
export {
  addAddress, addMacvtap, addNeighbor, addRoute, deleteLink, deleteLinkByName, getLinkByMac, getLinkByName, listLinks, setLink,
} from './link-ops';
export type { AddressOptions, LinkChange, MacvtapMode, MacvtapSpec, NeighborSpec, RouteSpec } from './link-ops';
export { MACVLAN_MODE } from './link-requests';
export { MAX_LINK_NAME_BYTES, MAX_TAP_QUEUES } from './link-arguments';
export { addIngressQdisc, addRedirectFilter, deleteIngressQdisc, listFilters, listQdiscs } from './tc-ops';
export type { MirredAction, TcAction, TcFilter, TcHeader, TcQdisc } from './tc-codec';
export { decodeFilter, decodeQdisc, encodeTc, filterInfo, tcAttr } from './tc-codec';
export * from './tc-constants';
export { PodLinkDriver, queueCount } from './pod-link-driver';
export type { CarriedLink, QueueConfig } from './pod-link-driver';
