// SPDX-License-Identifier: Apache-2.0
/** Terminals: host ptys and fd passing over unix sockets (console sockets), with raw syscalls. */
export * from './tty-errors';
export * from './native-syscalls';
export * from './pty';
export * from './fd-passing';
export * from './console-socket';
export * from './tty-streams';
