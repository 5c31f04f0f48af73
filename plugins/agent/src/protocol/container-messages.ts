// SPDX-License-Identifier: Apache-2.0
import type { GuestStorage, OciProcess, OciSpec } from '@cella/core';
import type { ProtoReader } from '@cella/core/ttrpc';
import { AgentErrors } from '../agent-errors';
import { decodeStorage, writeStorages } from './sandbox-messages';
import { decodeBounded, LEN, protocolError, pushBounded, readString, VARINT, writer, WireLimits } from './wire-limits';

/*
 * Container lifecycle messages, with Kata's field numbers.
 * DEVIATION from Kata: `CreateContainerRequest.OCI` (6) and `ExecProcessRequest.process` (4) carry the
 * OCI spec / process as a JSON string instead of Kata's oci.proto messages. The wire type is the same
 * (length-delimited); the JSON is bounded (1 MiB), must be an object, and the guest re-validates it.
 */

export interface ContainerRef { containerId: string; execId: string }

export interface CreateContainerMessage { containerId: string; execId: string; storages: GuestStorage[]; spec: OciSpec }
export interface ExecProcessMessage extends ContainerRef { process: OciProcess }
export interface SignalProcessMessage extends ContainerRef { signal: number }
export interface RemoveContainerMessage { containerId: string; timeoutSeconds: number }

/** `container_id`=1, `exec_id`=2: StartContainer (exec id unused), WaitProcess, CloseStdin requests. */
export function encodeContainerRef(m: ContainerRef): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).finish();
}

export function decodeContainerRef(buf: Uint8Array, name = 'ContainerRef'): ContainerRef {
  return decodeBounded(name, buf, { containerId: '', execId: '' }, (r, f, wt, m) => readRef(r, f, wt, m));
}

/** Shared by every message that starts with container_id=1, exec_id=2. */
export function readRef(r: ProtoReader, f: number, wt: number, m: ContainerRef): boolean {
  if (wt !== LEN || (f !== 1 && f !== 2)) return false;
  const v = readString(r, f === 1 ? 'container_id' : 'exec_id', 256);
  if (f === 1) m.containerId = v;
  else m.execId = v;
  return true;
}

export function encodeCreateContainerRequest(m: CreateContainerMessage): Buffer {
  const w = writer().string(1, m.containerId).string(2, m.execId);
  return writeStorages(w, 5, m.storages).string(6, toJson(m.spec, 'OCI')).finish();
}

export function decodeCreateContainerRequest(buf: Uint8Array): CreateContainerMessage {
  const init = { containerId: '', execId: '', storages: [] as GuestStorage[], spec: undefined as OciSpec | undefined };
  const m = decodeBounded('CreateContainerRequest', buf, init, (r, f, wt, msg) => {
    if (readRef(r, f, wt, msg)) return true;
    if (f === 5 && wt === LEN) pushBounded(msg.storages, decodeStorage(r.bytes()), 'storages');
    else if (f === 6 && wt === LEN) msg.spec = fromJson<OciSpec>(readString(r, 'OCI', WireLimits.ociJson), 'OCI');
    else return false;
    return true;
  });
  if (!m.spec) throw AgentErrors.AGENT_SPEC_INVALID.create('The request has no OCI spec', { details: { field: 'OCI' } });
  return { containerId: m.containerId, execId: m.execId, storages: m.storages, spec: m.spec };
}

export function encodeExecProcessRequest(m: ExecProcessMessage): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).string(4, toJson(m.process, 'process')).finish();
}

export function decodeExecProcessRequest(buf: Uint8Array): ExecProcessMessage {
  const init = { containerId: '', execId: '', process: undefined as OciProcess | undefined };
  const m = decodeBounded('ExecProcessRequest', buf, init, (r, f, wt, msg) => {
    if (readRef(r, f, wt, msg)) return true;
    if (f === 4 && wt === LEN) msg.process = fromJson<OciProcess>(readString(r, 'process', WireLimits.ociJson), 'process');
    else return false;
    return true;
  });
  if (!m.process) throw AgentErrors.AGENT_SPEC_INVALID.create('The request has no OCI process', { details: { field: 'process' } });
  return { containerId: m.containerId, execId: m.execId, process: m.process };
}

/** Kata `SignalProcessRequest`: container_id=1, exec_id=2, signal=3. */
export function encodeSignalProcessRequest(m: SignalProcessMessage): Buffer {
  return writer().string(1, m.containerId).string(2, m.execId).uint32(3, m.signal).finish();
}

export function decodeSignalProcessRequest(buf: Uint8Array): SignalProcessMessage {
  return decodeBounded('SignalProcessRequest', buf, { containerId: '', execId: '', signal: 0 }, (r, f, wt, m) => {
    if (readRef(r, f, wt, m)) return true;
    if (f === 3 && wt === VARINT) m.signal = r.uint32();
    else return false;
    return true;
  });
}

/** Kata `RemoveContainerRequest`: container_id=1, timeout=2 (seconds, 0 = no limit). */
export function encodeRemoveContainerRequest(m: RemoveContainerMessage): Buffer {
  return writer().string(1, m.containerId).uint32(2, m.timeoutSeconds).finish();
}

export function decodeRemoveContainerRequest(buf: Uint8Array): RemoveContainerMessage {
  return decodeBounded('RemoveContainerRequest', buf, { containerId: '', timeoutSeconds: 0 }, (r, f, wt, m) => {
    if (f === 1 && wt === LEN) m.containerId = readString(r, 'container_id', 256);
    else if (f === 2 && wt === VARINT) m.timeoutSeconds = r.uint32();
    else return false;
    return true;
  });
}

/** Kata `WaitProcessResponse`: status=1 (int32; exit code, or 128+n when killed by signal n). */
export function encodeWaitProcessResponse(status: number): Buffer {
  return writer().int32(1, status).finish();
}

export function decodeWaitProcessResponse(buf: Uint8Array): { status: number } {
  return decodeBounded('WaitProcessResponse', buf, { status: 0 }, (r, f, wt, m) => {
    if (f !== 1 || wt !== VARINT) return false;
    const v = r.int64();
    if (v < -0x80000000n || v > 0x7fffffffn) throw protocolError('The wait status is not an int32', { value: String(v) });
    m.status = Number(v);
    return true;
  });
}

function toJson(value: object, field: string): string {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > WireLimits.ociJson) {
    throw AgentErrors.AGENT_SPEC_INVALID.create('The OCI JSON is larger than the agent accepts', {
      details: { field, max: WireLimits.ociJson },
    });
  }
  return json;
}

function fromJson<T>(json: string, field: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw AgentErrors.AGENT_SPEC_INVALID.create('The OCI JSON does not parse', { details: { field }, cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AgentErrors.AGENT_SPEC_INVALID.create('The OCI JSON is not an object', { details: { field } });
  }
  return value as T;
}
