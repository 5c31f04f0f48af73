// SPDX-License-Identifier: Apache-2.0
/** The record `state.json` holds for a sandbox (one container per sandbox for now). */
export type SandboxStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface SandboxState {
  version: 1;
  id: string;
  /** The bundle config's ociVersion (runc's `state` shows it). */
  ociVersion: string;
  bundle: string;
  rootfs: string;
  status: SandboxStatus;
  createdAt: string;
  /** The command that owns the sandbox's lifetime (`cella run` in the foreground); when it dies, the sandbox is stale. */
  owner: { pid: number; startTime?: string };
  vm?: { pid: number; accel: string };
  annotations?: Record<string, string>;
  exitStatus?: number;
}
