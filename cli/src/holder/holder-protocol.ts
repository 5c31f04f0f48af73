// SPDX-License-Identifier: Apache-2.0
import { decodeMessage, ProtoWriter } from '@cella/core/ttrpc';

/**
 * The holder's control socket (`<run>/control.sock`): ttRPC, core's implementation. The holder owns the agent
 * connection (a virtio-serial channel has one end on the host), so other commands ask it.
 */
export const HOLDER_SERVICE = 'cella.holder.v1.Holder';
/** Stats answers the agent's StatsContainerResponse (Kata's message, @cella/agent's codec): the guest's cgroup counters. */
export const HolderMethod = { Start: 'Start', Kill: 'Kill', Pause: 'Pause', Resume: 'Resume', Stats: 'Stats' } as const;
/**
 * A pod sandbox's holder also runs the pod's other containers in its VM (docs/adr/0009): their member holders ask
 * it to add, start and remove them; their stdio, wait and signals go through the exec methods with execId ''.
 */
export const PodMethod = { AddContainer: 'AddContainer', StartContainer: 'StartContainer', RemoveContainer: 'RemoveContainer' } as const;
export const CONTROL_SOCKET = 'control.sock';

export interface KillRequest { signal: number; all: boolean }

export function encodeKill(r: KillRequest): Buffer {
  return new ProtoWriter().uint32(1, r.signal).bool(2, r.all).finish();
}

export function decodeKill(buf: Uint8Array): KillRequest {
  return decodeMessage<KillRequest>(buf, { signal: 0, all: false }, (r, field, _wt, m) => {
    if (field === 1) { m.signal = r.uint32(); return true; }
    if (field === 2) { m.all = r.bool(); return true; }
    return false;
  });
}

/** A container of the pod (AddContainer also names its bundle folder); Stats takes it to read a member's counters. */
export interface ContainerRequest { containerId: string; bundle?: string }

/** Longest bundle path taken (Linux's PATH_MAX). */
const MAX_BUNDLE_PATH = 4096;

export function encodeContainerRequest(r: ContainerRequest): Buffer {
  const w = new ProtoWriter().string(1, r.containerId);
  if (r.bundle !== undefined) w.string(2, r.bundle);
  return w.finish();
}

export function decodeContainerRequest(buf: Uint8Array): ContainerRequest {
  const m = decodeMessage<ContainerRequest>(buf, { containerId: '' }, (r, field, _wt, msg) => {
    if (field === 1) { msg.containerId = r.string(); return true; }
    if (field === 2) { msg.bundle = r.string(); return true; }
    return false;
  });
  if (m.bundle !== undefined && m.bundle.length > MAX_BUNDLE_PATH) throw new Error('bundle path too long');
  return m;
}

/** One JSON line the holder writes on fd 3 once the container is created (or creating failed). */
export type HolderReport = { ok: true; pid: number } | { ok: false; error: Record<string, unknown> };
