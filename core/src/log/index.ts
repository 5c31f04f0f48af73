// SPDX-License-Identifier: Apache-2.0
// The Logger without the DI: the guest agent's bundle uses this subpath.
export * from './logger';
