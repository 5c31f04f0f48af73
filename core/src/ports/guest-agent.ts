// SPDX-License-Identifier: Apache-2.0
import { token, type Disposable } from '../di';
import type { OciProcess, OciSpec } from '../oci/spec';
import type { GuestInterface, GuestNeighbor, GuestRoute } from './network-driver';
import type { SandboxContext } from './sandbox-context';
import type { AgentChannel } from './vm-spec';

/** A filesystem the agent mounts in the guest (Kata's `Storage`). */
export interface GuestStorage {
  /** `blk` (source = disk serial), `virtio-fs` (source = tag), `tmpfs`, … */
  driver: string;
  source: string;
  fstype: string;
  options: string[];
  /** Absolute guest path. */
  mountPoint: string;
}

export interface AgentInfo {
  agentVersion: string;
  /** `uname -r` of the guest kernel. */
  kernelRelease: string;
}

export interface CreateContainerRequest {
  containerId: string;
  /** The guest-side OCI spec: `root.path` is a guest path (a storage mount point). */
  spec: OciSpec;
  storages: GuestStorage[];
}

export interface CreateSandboxRequest {
  sandboxId: string;
  hostname: string;
  interfaces: GuestInterface[];
  routes: GuestRoute[];
  neighbors: GuestNeighbor[];
  storages: GuestStorage[];
}

/**
 * The GuestAgent port: the host side of the agent in the guest. Made per sandbox by `GuestAgentFactory`.
 * Every call after `connect` may throw E_AGENT_* errors; errors the guest reports keep its category.
 * `execId` is '' for the container's own process.
 */
export interface GuestAgent {
  /** Dial the channel, retrying while the guest boots, until the agent answers `check` or the deadline. */
  connect(channel: AgentChannel, options: { timeoutMs: number; signal?: AbortSignal }): Promise<AgentInfo>;
  check(): Promise<AgentInfo>;
  createSandbox(req: CreateSandboxRequest): Promise<void>;
  createContainer(req: CreateContainerRequest): Promise<void>;
  /** Runs the container's process; its stdio is buffered in the guest until read. */
  startContainer(containerId: string): Promise<void>;
  exec(containerId: string, execId: string, process: OciProcess): Promise<void>;
  signal(containerId: string, execId: string, signal: number): Promise<void>;
  /** Resolves with the exit status (128+n when killed by signal n). */
  wait(containerId: string, execId: string): Promise<number>;
  /** Resolves with at most `max` bytes, or `undefined` at end of stream. */
  readStdout(containerId: string, execId: string, max: number): Promise<Buffer | undefined>;
  readStderr(containerId: string, execId: string, max: number): Promise<Buffer | undefined>;
  writeStdin(containerId: string, execId: string, data: Buffer): Promise<number>;
  closeStdin(containerId: string, execId: string): Promise<void>;
  resizeTty(containerId: string, execId: string, rows: number, columns: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  /**
   * For a guest restored from a saved VM (a VM template), whose wall clock is the saved VM's: sets the guest's
   * CLOCK_REALTIME to `epochMs` (milliseconds since the epoch, years 2000 to 2199; E_AGENT_INVALID_ARGUMENT otherwise).
   */
  setGuestTime(epochMs: number): Promise<void>;
  /**
   * For a guest restored from a saved VM (a VM template), whose kernel CRNG state every clone shares: mixes `seed`
   * (16 to 4096 bytes of the host's strong randomness, credited as entropy; 32 or more recommended) into the guest's
   * random pool and reseeds its CRNG at once.
   */
  reseedRandom(seed: Buffer): Promise<void>;
  destroySandbox(): Promise<void>;
  /** Fires when the connection to the guest is lost. */
  onDidDisconnect(listener: (err?: Error) => void): Disposable;
  /** Close the connection. Idempotent. */
  close(): void;
}

export type GuestAgentFactory = (sandbox: SandboxContext) => GuestAgent;
export const GuestAgentFactory = token<GuestAgentFactory>('GuestAgentFactory');

/** Kernel, initramfs and (optionally) root image for the VM, and the agent channel to use. */
export interface GuestBoot {
  kernel: string;
  initrd?: string;
  image?: string;
  kernelParams: string[];
  /** Made for the sandbox: where the hypervisor must expose the agent. */
  agentChannel: AgentChannel;
}

/** Provides the guest image; owned by the agent plugin (the image and the agent belong together). */
export interface GuestImage {
  /** Throws E_IMAGE_MISSING (with a hint to run `cella image build`) when none is built. */
  boot(sandbox: SandboxContext): Promise<GuestBoot>;
  /** Build (or find in the cache) the image; `progress` gets one line per step. */
  build(options: { force?: boolean; progress?: (line: string) => void }): Promise<GuestImageRecord>;
  list(): Promise<GuestImageRecord[]>;
  /** The image the next boot would use, and whether it still matches its inputs (`boot` refuses a stale one). */
  status(): Promise<{ image?: GuestImageRecord; fresh: boolean }>;
}

export interface GuestImageRecord {
  key: string;
  dir: string;
  kernelRelease: string;
  createdAt: string;
  sizeBytes: number;
  files: Record<string, string>;
  current: boolean;
}

export const GuestImage = token<GuestImage>('GuestImage');
