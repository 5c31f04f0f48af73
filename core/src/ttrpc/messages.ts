// SPDX-License-Identifier: Apache-2.0
import { decodeMessage, ProtoWriter, WireType } from './protobuf';

/** `ttrpc.KeyValue`; a key may repeat. */
export interface KeyValue {
  key: string;
  value: string;
}

/** `ttrpc.Request`: 1 service, 2 method, 3 payload, 4 timeout_nano (int64), 5 metadata. */
export interface TtrpcRequest {
  service: string;
  method: string;
  payload: Buffer;
  /** Time left until the client's deadline; 0 or absent means none. */
  timeoutNano?: bigint;
  metadata?: KeyValue[];
}

/** `google.rpc.Status` without its `details` (they are skipped on decode). */
export interface RpcStatus {
  code: number;
  message: string;
}

/** `ttrpc.Response`: 1 status, 2 payload. A success leaves the status out. */
export interface TtrpcResponse {
  status?: RpcStatus;
  payload: Buffer;
}

export const GrpcCode = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10,
  OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

const EMPTY = Buffer.alloc(0);
const { Varint, LengthDelimited } = WireType;

export function encodeRequest(r: TtrpcRequest): Buffer {
  const w = new ProtoWriter().string(1, r.service).string(2, r.method).bytes(3, r.payload);
  if (r.timeoutNano !== undefined) w.int64(4, r.timeoutNano);
  for (const kv of r.metadata ?? []) w.message(5, new ProtoWriter().string(1, kv.key).string(2, kv.value));
  return w.finish();
}

/** Decodes a request; `metadata` is always an array, `timeoutNano` is set when it is on the wire. */
export function decodeRequest(b: Uint8Array): TtrpcRequest {
  const init: TtrpcRequest = { service: '', method: '', payload: EMPTY, metadata: [] };
  return decodeMessage(b, init, (r, field, wt, msg) => {
    if (field === 1 && wt === LengthDelimited) msg.service = r.string();
    else if (field === 2 && wt === LengthDelimited) msg.method = r.string();
    else if (field === 3 && wt === LengthDelimited) msg.payload = r.bytes();
    else if (field === 4 && wt === Varint) msg.timeoutNano = r.int64();
    else if (field === 5 && wt === LengthDelimited) msg.metadata!.push(decodeKeyValue(r.bytes()));
    else return false;
    return true;
  });
}

export function encodeResponse(r: TtrpcResponse): Buffer {
  const w = new ProtoWriter();
  if (r.status) w.message(1, encodeStatus(r.status));
  return w.bytes(2, r.payload).finish();
}

/** Decodes a response; `status` is set only when it is on the wire. */
export function decodeResponse(b: Uint8Array): TtrpcResponse {
  const init: TtrpcResponse = { payload: EMPTY };
  return decodeMessage(b, init, (r, field, wt, msg) => {
    if (field === 1 && wt === LengthDelimited) msg.status = decodeStatus(r.bytes());
    else if (field === 2 && wt === LengthDelimited) msg.payload = r.bytes();
    else return false;
    return true;
  });
}

export function encodeStatus(s: RpcStatus): Buffer {
  return new ProtoWriter().int32(1, s.code).string(2, s.message).finish();
}

export function decodeStatus(b: Uint8Array): RpcStatus {
  return decodeMessage(b, { code: 0, message: '' }, (r, field, wt, msg) => {
    if (field === 1 && wt === Varint) msg.code = r.int32();
    else if (field === 2 && wt === LengthDelimited) msg.message = r.string();
    else return false;
    return true;
  });
}

function decodeKeyValue(b: Uint8Array): KeyValue {
  return decodeMessage(b, { key: '', value: '' }, (r, field, wt, msg) => {
    if (field === 1 && wt === LengthDelimited) msg.key = r.string();
    else if (field === 2 && wt === LengthDelimited) msg.value = r.string();
    else return false;
    return true;
  });
}
