// SPDX-License-Identifier: Apache-2.0
/** The runc-compatible lifecycle pieces (issue #3). `spec.ts` and `bundle.ts` are exported by core's index. */
export * from './oci-errors';
export * from './container-state';
export * from './state-json';
export * from './signals';
export * from './default-spec';
export * from './spec-schema';
export * from './go-json';
export * from './executable';
export * from './spec-file';
export * from './spec-validator';
export * from './oci-version';
export * from './network-namespace';
export * from './namespace-paths';
