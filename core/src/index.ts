// SPDX-License-Identifier: Apache-2.0
import 'reflect-metadata';

export * from './errors';
export * from './ports';
export * from './oci/spec';
export * from './log/logger';
export * from './plugin/manifest';
export * from './state/journal';
export * from './oci/bundle';
export * from './state/state-store';
export * from './state/file-journal';
export * from './state/undo-handlers';
export * from './state/proc';
export * from './state/atomic-file';
export * from './state/lock';
export * from './plugin/plugin-loader';
export * from './plugin/plugin-context';
export * from './plugin/semver-range';
export * from './sandbox/sandbox-service';
export * from './sandbox/sandbox-state';
export * from './sandbox/stdio-relay';
export * from './sandbox/vm-spec-of';
export * from './oci';
