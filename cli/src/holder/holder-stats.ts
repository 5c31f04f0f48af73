// SPDX-License-Identifier: Apache-2.0
import { E, OciErrors, type GuestAgent, type SandboxHandle } from '@cella/core';
import type { TtrpcServer } from '@cella/core/ttrpc';
import { encodeStatsContainerResponse, type CgroupStats } from '@cella/agent';
import { decodeContainerRequest, HOLDER_SERVICE, HolderMethod } from './holder-protocol';

/**
 * What `events` needs of the guest agent beyond the GuestAgent port (the port has no stats call yet: the
 * Cella agent's `statsContainer` is used when the agent plugin has it).
 */
interface StatsAgent { statsContainer(containerId: string): Promise<CgroupStats> }

function hasStats(agent: GuestAgent): agent is GuestAgent & StatsAgent {
  return typeof (agent as Partial<StatsAgent>).statsContainer === 'function';
}

/**
 * The holder's Stats method: the container's cgroup counters, read in the guest. `pause` freezes the whole VM,
 * so the guest cannot answer while paused; nothing in it moves either, so the counters taken just before the
 * pause are the paused container's counters (runc too reports a frozen cgroup's unchanging counters).
 */
export class HolderStats {
  private frozen: CgroupStats | undefined;
  private paused = false;

  constructor(private readonly live: SandboxHandle, private readonly exiting: () => boolean) {}

  register(server: TtrpcServer): void {
    server.register(HOLDER_SERVICE, HolderMethod.Stats, async (p) => {
      const member = decodeContainerRequest(p).containerId;
      return encodeStatsContainerResponse(await (member && member !== this.live.ctx.id ? this.memberStats(member) : this.stats()));
    });
  }

  /** Call before pausing the VM. */
  async beforePause(): Promise<void> {
    this.frozen = await this.read().catch(() => undefined);
    this.paused = true;
  }

  /** Call once the VM runs again (or the pause failed). */
  resumed(): void {
    this.paused = false;
    this.frozen = undefined;
  }

  private async stats(): Promise<CgroupStats> {
    if (!this.paused) return this.read();
    if (this.frozen) return this.frozen;
    throw E.SANDBOX_BUSY.create('The container is paused and its stats could not be read before the pause', { details: { id: this.live.ctx.id } });
  }

  /**
   * A pod member's counters (docs/adr/0009; its member holder asks). While the VM is paused the guest cannot
   * answer, and no counters were kept for members: refused.
   */
  private memberStats(containerId: string): Promise<CgroupStats> {
    const agent = this.live.agent;
    if (!agent || this.exiting() || !this.live.added.get(containerId)?.created) {
      throw OciErrors.OCI_STATE.create(`container with id ${containerId} is not running`, { details: { id: containerId } });
    }
    if (this.paused) throw E.SANDBOX_BUSY.create('The pod sandbox is paused: its containers\' stats cannot be read', { details: { sandbox: this.live.ctx.id, id: containerId } });
    if (!hasStats(agent)) throw E.NOT_SUPPORTED.create('The guest agent plugin cannot report container stats', { details: { id: containerId } });
    return agent.statsContainer(containerId);
  }

  private read(): Promise<CgroupStats> {
    const id = this.live.ctx.id;
    const agent = this.live.agent;
    if (!agent || this.exiting()) throw OciErrors.OCI_STATE.create(`container with id ${id} is not running`, { details: { id } });
    if (!hasStats(agent)) throw E.NOT_SUPPORTED.create('The guest agent plugin cannot report container stats', { details: { id } });
    return agent.statsContainer(id);
  }
}
