// SPDX-License-Identifier: Apache-2.0

/** `[plugins."network.tap"]`, as schema/config.schema.json validates and defaults it. */
export interface TapConfig {
  queues?: number;
  max_queues: number;
  vnet_hdr: boolean;
}

/** The queue count of each interface: the configured one, else one per vCPU up to `max_queues`. */
export function queueCount(cfg: Pick<TapConfig, 'queues' | 'max_queues'>, vcpus: number): number {
  return cfg.queues ?? Math.max(1, Math.min(vcpus, cfg.max_queues));
}
