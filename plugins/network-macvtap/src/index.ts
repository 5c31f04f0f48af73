// SPDX-License-Identifier: Apache-2.0
export { default } from './plugin';
export { MacvtapNetworkDriver } from './macvtap-network-driver';
