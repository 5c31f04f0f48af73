// SPDX-License-Identifier: Apache-2.0
import type { GuestStorage } from '@cella/core';
import type { ProtoWriter } from '@cella/core/ttrpc';
import { decodeBounded, LEN, pushBounded, readString, VARINT, writer, writeRepeatedStrings } from './wire-limits';

/*
 * Check, CreateSandbox, DestroySandbox and Kata's `Storage`.
 * Check deviates from Kata: it sits on AgentService (Kata has a separate grpc.Health) and its response
 * joins Health's `status`=1 with `agent_version`=2 (as in VersionCheckResponse) and a new `kernel_release`=3.
 */

/** `CheckResponse.status` of a serving agent (Kata's HealthCheckResponse SERVING). */
export const CHECK_SERVING = 1;

export interface CheckRequest { service: string }
export interface CheckResponse { status: number; agentVersion: string; kernelRelease: string }

export function encodeCheckRequest(m: CheckRequest): Buffer {
  return writer().string(1, m.service).finish();
}

export function decodeCheckRequest(buf: Uint8Array): CheckRequest {
  return decodeBounded('CheckRequest', buf, { service: '' }, (r, f, wt, m) => {
    if (f === 1 && wt === LEN) m.service = readString(r, 'service');
    else return false;
    return true;
  });
}

export function encodeCheckResponse(m: CheckResponse): Buffer {
  return writer().uint32(1, m.status).string(2, m.agentVersion).string(3, m.kernelRelease).finish();
}

export function decodeCheckResponse(buf: Uint8Array): CheckResponse {
  return decodeBounded('CheckResponse', buf, { status: 0, agentVersion: '', kernelRelease: '' }, (r, f, wt, m) => {
    if (f === 1 && wt === VARINT) m.status = r.uint32();
    else if (f === 2 && wt === LEN) m.agentVersion = readString(r, 'agent_version', 256);
    else if (f === 3 && wt === LEN) m.kernelRelease = readString(r, 'kernel_release', 256);
    else return false;
    return true;
  });
}

/** Kata `Storage`: driver=1, driver_options=2 (unused), source=3, fstype=4, options=5, mount_point=6. */
export function encodeStorage(s: GuestStorage): Buffer {
  const w = writer().string(1, s.driver).string(3, s.source).string(4, s.fstype);
  return writeRepeatedStrings(w, 5, s.options).string(6, s.mountPoint).finish();
}

export function decodeStorage(buf: Uint8Array): GuestStorage {
  const init: GuestStorage = { driver: '', source: '', fstype: '', options: [], mountPoint: '' };
  return decodeBounded('Storage', buf, init, (r, f, wt, m) => {
    if (wt !== LEN) return false;
    if (f === 1) m.driver = readString(r, 'driver', 256);
    else if (f === 3) m.source = readString(r, 'source');
    else if (f === 4) m.fstype = readString(r, 'fstype', 256);
    else if (f === 5) pushBounded(m.options, readString(r, 'options'), 'options');
    else if (f === 6) m.mountPoint = readString(r, 'mount_point', 4096);
    else return false;
    return true;
  });
}

export function writeStorages(w: ProtoWriter, field: number, storages: readonly GuestStorage[]): ProtoWriter {
  for (const s of storages) w.message(field, encodeStorage(s));
  return w;
}

/**
 * Kata `CreateSandboxRequest`: hostname=1, dns=2, storages=3, sandbox_id=5. Interfaces, routes and
 * neighbours go before it in `UpdateInterface`/`UpdateRoutes`/`AddARPNeighbors`, as in Kata's boot sequence.
 */
export interface CreateSandboxMessage { sandboxId: string; hostname: string; dns: string[]; storages: GuestStorage[] }

export function encodeCreateSandboxRequest(m: CreateSandboxMessage): Buffer {
  const w = writeRepeatedStrings(writer().string(1, m.hostname), 2, m.dns);
  return writeStorages(w, 3, m.storages).string(5, m.sandboxId).finish();
}

export function decodeCreateSandboxRequest(buf: Uint8Array): CreateSandboxMessage {
  const init: CreateSandboxMessage = { sandboxId: '', hostname: '', dns: [], storages: [] };
  return decodeBounded('CreateSandboxRequest', buf, init, (r, f, wt, m) => {
    if (wt !== LEN) return false;
    if (f === 1) m.hostname = readString(r, 'hostname', 255);
    else if (f === 2) pushBounded(m.dns, readString(r, 'dns', 1024), 'dns');
    else if (f === 3) pushBounded(m.storages, decodeStorage(r.bytes()), 'storages');
    else if (f === 5) m.sandboxId = readString(r, 'sandbox_id', 256);
    else return false;
    return true;
  });
}

/** `google.protobuf.Empty`, the request of DestroySandbox and the response of most calls. */
export const EMPTY: Buffer = Buffer.alloc(0);

/** Ensures an Empty-typed message really is empty of known fields (unknown ones are allowed by proto3). */
export function decodeEmpty(buf: Uint8Array): Record<string, never> {
  return decodeBounded('Empty', buf, {}, () => false);
}
