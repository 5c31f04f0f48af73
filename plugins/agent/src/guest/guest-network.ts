// SPDX-License-Identifier: Apache-2.0
import type { GuestInterface, GuestNeighbor, GuestRoute, Logger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import {
  NetlinkClient, addAddress, addNeighbor, addRoute, getLinkByMac, getLinkByName, setLink,
} from '@cella/netlink';
import { AgentErrors } from '../agent-errors';
import type { CommandRunner } from './command-runner';

export interface GuestNetworkOptions {
  logger: Logger;
  run: CommandRunner;
  /** How long to wait for a NIC to appear after its driver loads (default 5000 ms). */
  linkWaitMs?: number;
}

/**
 * Applies the host's description of the pod network to the guest's own network namespace (the one the
 * containers share), over netlink: each interface is found by its MAC, renamed, given its MTU and
 * addresses and brought up; then routes (link-scope ones first, so gateways are reachable) and
 * neighbours. Every kernel refusal names the interface, address or route it was about.
 */
export class GuestNetwork {
  private prepared = false;

  constructor(private readonly o: GuestNetworkOptions) {}

  async applyInterface(iface: GuestInterface): Promise<void> {
    await this.prepare();
    await this.withClient(async (c) => {
      const link = await this.waitForMac(c, iface.mac);
      const what = { interface: iface.name, mac: iface.mac };
      // A link must be down to be renamed.
      await this.step(what, () => setLink(c, link.index, { up: false }));
      if (link.name !== iface.name) await this.step(what, () => setLink(c, link.index, { name: iface.name }));
      await this.step({ ...what, mtu: iface.mtu }, () => setLink(c, link.index, { mtu: iface.mtu }));
      // No duplicate address detection: the address is the pod's, handed over by the host.
      for (const a of iface.addresses) {
        await this.step({ ...what, address: `${a.address}/${a.prefixLength}` }, () => addAddress(c, link.index, a.address, a.prefixLength, { noDad: a.family === 6 }));
      }
      await this.step(what, () => setLink(c, link.index, { up: true }));
      this.o.logger.info('Interface configured', { ...what, mtu: iface.mtu, addresses: iface.addresses.length });
    });
  }

  async applyRoutes(routes: readonly GuestRoute[]): Promise<void> {
    if (routes.length === 0) return;
    // Routes without a gateway first: a gateway must be reachable through a link route before it is used.
    const ordered = [...routes].sort((a, b) => Number(a.gateway !== undefined) - Number(b.gateway !== undefined));
    await this.withClient(async (c) => {
      for (const r of ordered) {
        const what = { route: r.destination, gateway: r.gateway, device: r.device };
        const index = await this.indexOf(c, r.device, what);
        await this.step(what, () => addRoute(c, { family: r.family, destination: r.destination, gateway: r.gateway, index, source: r.source, scope: r.scope }));
      }
    });
  }

  async applyNeighbors(neighbors: readonly GuestNeighbor[]): Promise<void> {
    if (neighbors.length === 0) return;
    await this.withClient(async (c) => {
      for (const n of neighbors) {
        const what = { neighbor: n.address, mac: n.mac, device: n.device };
        const index = await this.indexOf(c, n.device, what);
        await this.step(what, () => addNeighbor(c, { address: n.address, mac: n.mac, index, state: n.state }));
      }
    });
  }

  /** Once: load the NIC driver (no udev in the guest to do it) and bring up loopback. */
  private async prepare(): Promise<void> {
    if (this.prepared) return;
    this.prepared = true;
    await this.o.run('modprobe', ['-q', 'virtio_net']).catch((err: unknown) => this.o.logger.warn('modprobe virtio_net failed', { err }));
    await this.withClient(async (c) => {
      const lo = await getLinkByName(c, 'lo');
      if (lo) await setLink(c, lo.index, { up: true });
    });
  }

  private async waitForMac(c: NetlinkClient, mac: string): Promise<{ index: number; name?: string }> {
    const deadline = Date.now() + (this.o.linkWaitMs ?? 5000);
    for (;;) {
      const link = await getLinkByMac(c, mac);
      if (link) return link;
      if (Date.now() >= deadline) {
        throw AgentErrors.AGENT_LINK_NOT_FOUND.create('No guest network device has the interface\'s MAC address', {
          details: { mac }, hint: 'The hypervisor must be given a NIC with this MAC (the network plugin adds one per interface)',
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async indexOf(c: NetlinkClient, device: string, what: Record<string, unknown>): Promise<number> {
    const link = await getLinkByName(c, device);
    if (!link) throw AgentErrors.AGENT_LINK_NOT_FOUND.create('The device of a route or neighbour is not configured in the guest', { details: what });
    return link.index;
  }

  private async step(what: Record<string, unknown>, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (err) {
      const kernel = isCellaError(err) ? err.details : {};
      throw AgentErrors.AGENT_NETWORK.create('The guest kernel refused a network setting', {
        cause: err, details: { ...what, errno: kernel.errno, kernelMessage: kernel.kernelMessage },
      });
    }
  }

  private async withClient<T>(f: (c: NetlinkClient) => Promise<T>): Promise<T> {
    return NetlinkClient.with({}, f);
  }
}
