// SPDX-License-Identifier: Apache-2.0
import { decodeMessage, ProtoWriter } from '@cella/core/ttrpc';

/**
 * The holder's control socket (`<run>/control.sock`): ttRPC, core's implementation. The holder owns the agent
 * connection (a virtio-serial channel has one end on the host), so other commands ask it.
 */
export const HOLDER_SERVICE = 'cella.holder.v1.Holder';
/** Stats answers the agent's StatsContainerResponse (Kata's message, @cella/agent's codec): the guest's cgroup counters. */
export const HolderMethod = { Start: 'Start', Kill: 'Kill', Pause: 'Pause', Resume: 'Resume', Stats: 'Stats' } as const;
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

/** One JSON line the holder writes on fd 3 once the container is created (or creating failed). */
export type HolderReport = { ok: true; pid: number } | { ok: false; error: Record<string, unknown> };
