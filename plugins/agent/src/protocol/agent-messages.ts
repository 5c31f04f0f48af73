// SPDX-License-Identifier: Apache-2.0
/**
 * The agent protocol: service and method names, and an encoder/decoder per message. Every decoder is
 * bounded (`WireLimits`) and throws E_AGENT_PROTOCOL (E_AGENT_SPEC_INVALID for bad OCI JSON).
 * Imports only `@cella/core/ttrpc` and `@cella/core/errors` at run time: the guest bundle includes it.
 */
export * from './agent-service';
export * from './wire-limits';
export * from './sandbox-messages';
export * from './container-messages';
export * from './stream-messages';
export * from './network-messages';
export * from './stats-messages';
export * from './clock-random-messages';
export * from './agent-cmdline';
