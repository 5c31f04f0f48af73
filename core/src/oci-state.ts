// SPDX-License-Identifier: Apache-2.0
/**
 * `@cella/core/oci-state`: what `state` and `list` need and nothing more (no DI, no ajv, no plugin
 * loader), so the CLI's fast path answers them with little more than Node's own start-up.
 */
export { StateStore } from './state/state-store';
export { isAlive } from './state/proc';
export { notFound } from './oci/container-state';
export { formatList, listEntry, ociStateJson, rfc3339Nano } from './oci/state-json';
export type { OciContainerRecord, OciListEntry } from './oci/state-json';
export type { SandboxState } from './sandbox/sandbox-state';
