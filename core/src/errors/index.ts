// SPDX-License-Identifier: Apache-2.0
export * from './cella-error';
export * from './codes';
