// SPDX-License-Identifier: Apache-2.0
import type { QueueConfig } from '@cella/netlink';

/** `[plugins."network.tap"]`, as schema/config.schema.json validates and defaults it. */
export interface TapConfig extends QueueConfig {
  vnet_hdr: boolean;
}
