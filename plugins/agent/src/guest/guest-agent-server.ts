// SPDX-License-Identifier: Apache-2.0
import type { Logger } from '@cella/core';
import { TtrpcServer } from '@cella/core/ttrpc';
import { AGENT_MAX_FRAME } from '../protocol/wire-limits';
import { execFileRunner, type CommandRunner } from './command-runner';
import { CrunCommand } from './crun-command';
import { registerAgentService } from './guest-agent-service';
import { KernelClockRandom, type GuestClockRandom } from './guest-clock-random';
import { GuestContainers } from './guest-containers';
import { GuestNetwork } from './guest-network';
import { GuestSandbox, type NetworkApplier } from './guest-sandbox';
import { StorageMounter } from './storage-mounter';

/** Where the guest agent finds things; the defaults are the guest's real paths, tests point them elsewhere. */
export interface GuestAgentServerOptions {
  logger: Logger;
  run?: CommandRunner;
  /** The crun command prefix (default `['crun']`). */
  crun?: readonly string[];
  bundlesDir?: string;
  procMounts?: string;
  osReleasePath?: string;
  sysBlockDir?: string;
  devDir?: string;
  diskWaitMs?: number;
  outputLimit?: number;
  poweroffDelayMs?: number;
  removeWaitMs?: number;
  /** Default: netlink in the agent's own network namespace (the guest's). */
  network?: NetworkApplier;
  /** Default: the kernel's clock and CRNG (raw syscalls). Tests on the host must give a stand-in. */
  clockRandom?: GuestClockRandom;
}

export interface GuestAgentServer {
  server: TtrpcServer;
  sandbox: GuestSandbox;
  containers: GuestContainers;
}

/** Builds the agent: its state and a TtrpcServer with every AgentService method registered. */
export function createGuestAgentServer(options: GuestAgentServerOptions): GuestAgentServer {
  const { logger } = options;
  const run = options.run ?? execFileRunner;
  const storages = new StorageMounter({
    run, logger, sysBlockDir: options.sysBlockDir ?? '/sys/block', devDir: options.devDir ?? '/dev', diskWaitMs: options.diskWaitMs,
  });
  const containers = new GuestContainers({
    logger, run, storages,
    crun: new CrunCommand(options.crun ?? ['crun']),
    bundlesDir: options.bundlesDir ?? '/run/cella/bundles',
    procMounts: options.procMounts ?? '/proc/mounts',
    outputLimit: options.outputLimit,
    removeWaitMs: options.removeWaitMs,
  });
  const sandbox = new GuestSandbox({
    logger, run, storages, containers,
    network: options.network ?? new GuestNetwork({ logger, run }),
    osReleasePath: options.osReleasePath ?? '/proc/sys/kernel/osrelease',
    poweroffDelayMs: options.poweroffDelayMs,
  });
  const server = new TtrpcServer({
    maxData: AGENT_MAX_FRAME,
    onError: (err) => logger.warn('Agent connection failed', { err }),
  });
  registerAgentService(server, sandbox, containers, options.clockRandom ?? new KernelClockRandom());
  return { server, sandbox, containers };
}
