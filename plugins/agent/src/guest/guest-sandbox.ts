// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import type { GuestInterface, GuestNeighbor, GuestRoute, Logger } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import { AGENT_VERSION } from '../protocol/agent-service';
import { CHECK_SERVING, type CheckResponse, type CreateSandboxMessage } from '../protocol/sandbox-messages';
import { WireLimits } from '../protocol/wire-limits';
import type { CommandRunner } from './command-runner';
import type { GuestNetwork } from './guest-network';
import type { GuestContainers } from './guest-containers';
import type { StorageMounter } from './storage-mounter';

export interface GuestSandboxOptions {
  logger: Logger;
  run: CommandRunner;
  storages: StorageMounter;
  containers: GuestContainers;
  /** Applies interfaces, routes and neighbours (GuestNetwork: netlink in the guest's namespace). */
  network: NetworkApplier;
  /** `/proc/sys/kernel/osrelease`. */
  osReleasePath: string;
  /** Delay between the DestroySandbox answer and the teardown, so the answer leaves first. */
  poweroffDelayMs?: number;
}

export type NetworkApplier = Pick<GuestNetwork, 'applyInterface' | 'applyRoutes' | 'applyNeighbors'>;

const HOSTNAME = /^(?=.{1,64}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Sandbox-wide state of the guest: hostname, storages, and the network. Interfaces, routes and
 * neighbours are applied as they arrive (before the container is created) and kept for inspection.
 */
export class GuestSandbox {
  readonly interfaces = new Map<string, GuestInterface>();
  routes: GuestRoute[] = [];
  readonly neighbors: GuestNeighbor[] = [];
  private mountPoints: string[] = [];
  private created = false;
  private destroying = false;

  constructor(private readonly o: GuestSandboxOptions) {}

  check(): CheckResponse {
    let kernelRelease = '';
    try {
      kernelRelease = readFileSync(this.o.osReleasePath, 'utf8').trim().slice(0, 256);
    } catch (err) {
      this.o.logger.warn('Kernel release unreadable', { err });
    }
    return { status: CHECK_SERVING, agentVersion: AGENT_VERSION, kernelRelease };
  }

  async create(msg: CreateSandboxMessage): Promise<void> {
    if (this.created || this.destroying) throw AgentErrors.AGENT_STATE.create('The sandbox is created already');
    if (msg.hostname !== '' && !HOSTNAME.test(msg.hostname)) {
      throw AgentErrors.AGENT_INVALID_ARGUMENT.create('The hostname is invalid', { details: { field: 'hostname', value: msg.hostname } });
    }
    this.created = true;
    try {
      if (msg.hostname !== '') await this.o.run('hostname', [msg.hostname]);
      this.mountPoints = await this.o.storages.mountAll(msg.storages);
    } catch (err) {
      this.created = false;
      throw err;
    }
    this.o.logger.info('Sandbox created', { sandbox: msg.sandboxId, storages: this.mountPoints.length });
  }

  async updateInterface(iface: GuestInterface): Promise<GuestInterface> {
    if (!IFNAME.test(iface.name)) {
      throw AgentErrors.AGENT_INVALID_ARGUMENT.create('The interface name is invalid', { details: { field: 'name', value: iface.name } });
    }
    if (!this.interfaces.has(iface.name) && this.interfaces.size >= WireLimits.repeated) {
      throw AgentErrors.AGENT_INVALID_ARGUMENT.create('Too many interfaces', { details: { max: WireLimits.repeated } });
    }
    await this.o.network.applyInterface(iface);
    this.interfaces.set(iface.name, iface);
    return iface;
  }

  async updateRoutes(routes: GuestRoute[]): Promise<GuestRoute[]> {
    await this.o.network.applyRoutes(routes);
    this.routes = routes;
    return routes;
  }

  async addNeighbors(neighbors: GuestNeighbor[]): Promise<void> {
    if (this.neighbors.length + neighbors.length > WireLimits.repeated) {
      throw AgentErrors.AGENT_INVALID_ARGUMENT.create('Too many neighbours', { details: { max: WireLimits.repeated } });
    }
    await this.o.network.applyNeighbors(neighbors);
    this.neighbors.push(...neighbors);
  }

  /**
   * Schedules the teardown and returns at once (the caller answers first): remove the containers,
   * unmount the sandbox storages, then `poweroff -f`; the host sees the hypervisor exit.
   */
  destroy(): void {
    if (this.destroying) return;
    this.destroying = true;
    setTimeout(() => void this.teardown(), this.o.poweroffDelayMs ?? 100);
  }

  private async teardown(): Promise<void> {
    this.o.logger.info('Sandbox destroying');
    await this.o.containers.removeAll();
    await this.o.storages.unmountAll(this.mountPoints).catch((err) => this.o.logger.warn('Sandbox unmount failed', { err }));
    try {
      await this.o.run('poweroff', ['-f']);
    } catch (err) {
      this.o.logger.error('Power off failed', { err });
    }
  }
}
