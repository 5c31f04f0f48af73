// SPDX-License-Identifier: Apache-2.0
export * from './process-errors';
export * from './inherited-fds';
export * from './confined-command';
export * from './system-user';
export * from './unix-socket-fd';
