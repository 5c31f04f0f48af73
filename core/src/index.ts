// SPDX-License-Identifier: Apache-2.0
import 'reflect-metadata';

export * from './errors';
export * from './ports';
export * from './oci/spec';
export * from './log/logger';
export * from './plugin/manifest';
export * from './state/journal';
