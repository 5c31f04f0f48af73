// SPDX-License-Identifier: Apache-2.0
import { isCellaError, type CellaError } from '@cella/core/errors';
import { decodeMessage, ProtoWriter, type ProtoReader } from '@cella/core/ttrpc';
import { AgentErrors } from '../agent-errors';

/** Bounds every decoder enforces: the peer may be untrusted (a compromised guest, a confused host). */
export const WireLimits = Object.freeze({
  /** Any string field but the OCI JSON. */
  string: 64 * 1024,
  /** The OCI spec / process JSON. */
  ociJson: 1024 * 1024,
  /** Items of any repeated field. */
  repeated: 1024,
  /** Stream data (stdout, stderr, stdin) per message. */
  data: 1024 * 1024,
});

/** ttRPC frame limit of agent connections, both ways: the largest message (1 MiB of data or OCI JSON) plus room. */
export const AGENT_MAX_FRAME = WireLimits.data + 64 * 1024;

/** Wire type of length-delimited fields (strings, bytes, messages). */
export const LEN = 2;
/** Wire type of varints. */
export const VARINT = 0;

export function protocolError(message: string, details: Record<string, unknown>, cause?: unknown): CellaError {
  return AgentErrors.AGENT_PROTOCOL.create(message, { details, cause });
}

/** Reads a string field and checks its size (in UTF-8 bytes, before decoding). */
export function readString(r: ProtoReader, field: string, max: number = WireLimits.string): string {
  const raw = r.bytes();
  if (raw.length > max) throw protocolError('A string field is longer than allowed', { field, length: raw.length, max });
  return raw.toString('utf8');
}

/** Reads a bytes field, checks its size and copies it out of the frame buffer. */
export function readBytes(r: ProtoReader, field: string, max: number = WireLimits.data): Buffer {
  const raw = r.bytes();
  if (raw.length > max) throw protocolError('A bytes field is longer than allowed', { field, length: raw.length, max });
  return Buffer.from(raw);
}

/** Appends to a repeated field, refusing more than `WireLimits.repeated` items. */
export function pushBounded<T>(list: T[], item: T, field: string): void {
  if (list.length >= WireLimits.repeated) {
    throw protocolError('A repeated field has more items than allowed', { field, max: WireLimits.repeated });
  }
  list.push(item);
}

/** Reads a uint64 that must fit a JavaScript number below `max`. */
export function readUint64(r: ProtoReader, field: string, max: number = 0xffffffff): number {
  const v = r.uint64();
  if (v > BigInt(max)) throw protocolError('A number field is out of range', { field, value: String(v), max });
  return Number(v);
}

/** Writes every item, empty strings included (proto3 keeps empty items of repeated fields). */
export function writeRepeatedStrings(w: ProtoWriter, field: number, items: readonly string[]): ProtoWriter {
  for (const s of items) w.message(field, Buffer.from(s, 'utf8'));
  return w;
}

/**
 * Decodes one message with `decodeMessage`; any failure that is not already an agent protocol error
 * (truncation, bad varint, bad JSON) becomes E_AGENT_PROTOCOL naming the message.
 */
export function decodeBounded<T>(
  message: string,
  buf: Uint8Array,
  init: T,
  onField: (r: ProtoReader, field: number, wireType: number, msg: T) => boolean,
): T {
  try {
    return decodeMessage(buf, init, onField);
  } catch (err) {
    if (isCellaError(err) && err.code.startsWith('E_AGENT_')) throw err;
    throw protocolError('A message does not decode', { message }, err);
  }
}

/** A fresh writer (shorthand used by every encoder). */
export function writer(): ProtoWriter {
  return new ProtoWriter();
}
