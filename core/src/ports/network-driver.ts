// SPDX-License-Identifier: Apache-2.0
import { token } from '../di';
import type { SandboxContext } from './sandbox-context';
import type { VmDevice } from './vm-spec';

export interface GuestIpAddress { family: 4 | 6; address: string; prefixLength: number }
export interface GuestInterface { name: string; mac: string; mtu: number; addresses: GuestIpAddress[] }
export interface GuestRoute { destination: string; gateway?: string; device: string; source?: string; scope?: number; family: 4 | 6 }
export interface GuestNeighbor { address: string; mac: string; device: string; state?: number }

export interface NetworkAttachment {
  devices: VmDevice[];
  interfaces: GuestInterface[];
  routes: GuestRoute[];
  neighbors: GuestNeighbor[];
}

/**
 * The NetworkDriver port: carries a pod network namespace into the VM.
 * `attach` records every link, qdisc and filter in the sandbox journal before it creates it; `detach` undoes them.
 */
export interface NetworkDriver {
  attach(netnsPath: string): Promise<NetworkAttachment>;
  detach(): Promise<void>;
}

export type NetworkDriverFactory = (sandbox: SandboxContext) => NetworkDriver;
export const NetworkDriverFactory = token<NetworkDriverFactory>('NetworkDriverFactory');
