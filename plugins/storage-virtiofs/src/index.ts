// SPDX-License-Identifier: Apache-2.0
import plugin from './plugin';

export { VirtiofsStorageDriver, SHARED_TAG, GUEST_SHARED_DIR } from './virtiofs-storage-driver';
export { buildVirtiofsdArgs, detectFlavour, probeVirtiofsd, resolveVirtiofsdPath } from './virtiofsd-binary';
export type { VirtiofsdArgsOptions, VirtiofsdBinary, VirtiofsdFlavour } from './virtiofsd-binary';
export { VirtiofsdDaemon } from './virtiofsd-daemon';
export { VirtiofsHostChecks } from './host-checks';
export { CELLA_VIRTIOFSD_SUBPATH, DEFAULT_CACHE_DIR, DEFAULT_UNPRIVILEGED_ID, DEFAULT_VIRTIOFSD_PATHS, defaultVirtiofsdPaths, resolveVirtiofsConfig } from './virtiofs-config';
export type { VirtiofsCacheMode, VirtiofsConfig, VirtiofsOwnership, VirtiofsSandboxMode } from './virtiofs-config';
export { VirtiofsErrors } from './virtiofs-errors';
export default plugin;
