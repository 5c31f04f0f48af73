// SPDX-License-Identifier: Apache-2.0
/** Options of `[plugins."agent.cella"]` (schema/config.schema.json). */
export interface AgentConfig {
  transport: 'virtio-serial' | 'vsock' | 'hybrid-vsock';
  vsock_port: number;
  call_timeout_ms: number;
  kernel?: { path: string; modules_dir: string };
  kernel_params: string[];
  debug: boolean;
}
