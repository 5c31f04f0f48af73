// SPDX-License-Identifier: Apache-2.0
export { default } from './plugin';
export { TapNetworkDriver } from './tap-network-driver';
export type { TapConfig } from './tap-config';
