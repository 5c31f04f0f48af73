// SPDX-License-Identifier: Apache-2.0
import { token, type Disposable } from '../di';
import type { SandboxContext } from './sandbox-context';
import type { VmDevice, VmSpec } from './vm-spec';

export interface HypervisorCapabilities {
  /** Devices can be added to a running VM. */
  hotplug: boolean;
  pause: boolean;
  /** AF_VSOCK agent channels can be used on this host. */
  vsock: boolean;
  /** Shared-memory backends (virtio-fs) can be used. */
  sharedFs: boolean;
  /** The accelerator the next start will use (`kvm`, `tcg`, …). */
  accel: string;
  /**
   * VM templates are on (config) and possible: `start` restores a saved, booted VM when one matches the spec,
   * and `saveTemplate` makes one.
   */
  templates: boolean;
}

/** A saved VM that later starts restore instead of booting. */
export interface VmTemplateInfo {
  key: string;
  /** Folder that holds it. */
  dir: string;
  bytes: number;
  createdAt: string;
}

export interface VmInfo {
  pid: number;
  accel: string;
  version: string;
  /**
   * The VM was restored from a VM template rather than booted: its guest has the template's clock and kernel
   * random state, which the caller must set and reseed through the agent before anything else.
   */
  restoredFrom?: string;
}

export interface VmExit {
  /** True when `stop()` asked for it. */
  expected: boolean;
  code: number | null;
  signal: string | null;
}

/**
 * The Hypervisor port: one VM per instance, made per sandbox by `HypervisorFactory`.
 * Lifecycle: `start` once; then `pause`/`resume`/`hotplug`/`unplug` while running; `stop` last.
 */
export interface Hypervisor {
  /** What this backend can do on this host. Never throws for a missing feature: it reports it. */
  capabilities(): Promise<HypervisorCapabilities>;
  /**
   * Boot the VM. Records the VM process in the sandbox journal before it is spawned.
   * Resolves when the VM runs (not when the guest has booted).
   * Throws E_HYPERVISOR_* (InvalidArgument for a bad spec, Unavailable when the binary is missing or exits).
   */
  start(spec: VmSpec): Promise<VmInfo>;
  /** Stop the VM: a graceful quit, or a kill when `force`. Idempotent. Completes the journal entry. */
  stop(options: { force: boolean }): Promise<void>;
  /** Precondition: capabilities().pause. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * Save the running VM as a template for later starts and stop it. Precondition: started with
   * `spec.forTemplate`, its guest ready (the agent answered and was disconnected), capabilities().templates.
   */
  saveTemplate?(): Promise<VmTemplateInfo>;
  /** The template a start with this spec would restore, if there is one (for `cella check`). */
  findTemplate?(spec: VmSpec): Promise<VmTemplateInfo | undefined>;
  /** Precondition: running, capabilities().hotplug. */
  hotplug(device: VmDevice): Promise<void>;
  unplug(deviceId: string): Promise<void>;
  /** Host pids of the VM's processes (empty before start / after stop). */
  pids(): number[];
  /** Fires once when the VM process exits, expected or not. */
  onDidExit(listener: (exit: VmExit) => void): Disposable;
  /** Facts for `cella env`: binary, version, machine, accel. */
  describe(): Promise<Record<string, unknown>>;
}

export type HypervisorFactory = (sandbox: SandboxContext) => Hypervisor;
export const HypervisorFactory = token<HypervisorFactory>('HypervisorFactory');
