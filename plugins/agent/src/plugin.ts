// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { definePlugin, GuestAgentFactory, GuestImage } from '@cella/core';
import type { AgentConfig } from './agent-config';
import { CellaGuestAgent } from './cella-guest-agent';
import { CellaGuestImage } from './image/cella-guest-image';
import { GuestImageBuilder } from './image/guest-image-builder';

/** The bundled guest agent, made by the build (scripts/post-build.js). */
export const AGENT_BUNDLE = join(__dirname, 'guest-agent.js');
/** The agent's native node_modules (node-netlink), staged by the same script. */
export const AGENT_NODE_MODULES = join(__dirname, 'guest-node-modules');

export default definePlugin<AgentConfig>({
  id: 'agent.cella',
  kind: 'agent',
  apiVersion: '^1.0.0',
  configSchema: 'schema/config.schema.json',
  requires: [],
  platforms: ['linux-x64'],
  register(ctx) {
    const cfg = ctx.config;
    const builder = new GuestImageBuilder(
      {
        cacheDir: ctx.paths.cache,
        agentBundle: AGENT_BUNDLE,
        agentNodeModules: AGENT_NODE_MODULES,
        kernel: cfg.kernel ? { path: cfg.kernel.path, modulesDir: cfg.kernel.modules_dir } : undefined,
      },
      ctx.logger,
    );
    const params = cfg.debug ? [...cfg.kernel_params, 'cella.debug=1'] : cfg.kernel_params;
    ctx.bindValue(GuestImage, new CellaGuestImage(builder, { transport: cfg.transport, vsockPort: cfg.vsock_port, kernelParams: params }));
    ctx.bindValue(GuestAgentFactory, (sandbox) => new CellaGuestAgent(sandbox, { callTimeoutMs: cfg.call_timeout_ms }));
  },
});
