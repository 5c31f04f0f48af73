// SPDX-License-Identifier: Apache-2.0
export * from './vm-spec';
export * from './sandbox-context';
export * from './hypervisor';
export * from './guest-agent';
export * from './network-driver';
export * from './storage-driver';
export * from './host-check';
