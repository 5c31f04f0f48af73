// SPDX-License-Identifier: Apache-2.0
export * from './ttrpc-errors';
export * from './protobuf';
export * from './frame';
export * from './messages';
export * from './status-error';
export * from './client';
export * from './server';
