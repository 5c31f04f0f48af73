// SPDX-License-Identifier: Apache-2.0
import plugin from './plugin';

export { AGENT_BUNDLE } from './plugin';
export type { AgentConfig } from './agent-config';
export { CellaGuestAgent } from './cella-guest-agent';
export { decodeStatsContainerResponse, emptyCgroupStats, encodeStatsContainerResponse } from './protocol/stats-messages';
export type { CgroupStats } from './protocol/stats-messages';
export * from './image';
export default plugin;
