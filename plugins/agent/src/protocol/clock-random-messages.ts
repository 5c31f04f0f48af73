// SPDX-License-Identifier: Apache-2.0
import type { ProtoReader } from '@cella/core/ttrpc';
import { AgentErrors } from '../agent-errors';
import { decodeBounded, LEN, VARINT, writer } from './wire-limits';

/*
 * SetGuestDateTime and ReseedRandomDev: what a guest restored from a saved VM needs first (its wall clock and
 * its kernel CRNG are the saved VM's). Kata's messages and field numbers (agent.proto):
 *   SetGuestDateTimeRequest { int64 Sec = 1; int64 Usec = 2; }
 *   ReseedRandomDevRequest  { bytes data = 2; }
 * Both answer google.protobuf.Empty. The decoders refuse values outside the bounds below with
 * E_AGENT_INVALID_ARGUMENT whose message names the field (the details do not cross the wire, the message does).
 */

/** Seconds since the epoch the guest accepts: 2000-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z. */
export const GUEST_TIME_MIN_SEC = Date.UTC(2000, 0, 1) / 1000;
export const GUEST_TIME_END_SEC = Date.UTC(2200, 0, 1) / 1000;
export const GUEST_TIME_MAX_USEC = 999_999;

/** Seed sizes the guest accepts, in bytes. */
export const RESEED_MIN_BYTES = 16;
export const RESEED_MAX_BYTES = 4096;

export interface GuestDateTime { sec: number; usec: number }

/** Kata `SetGuestDateTimeRequest`: Sec=1 (int64), Usec=2 (int64). */
export function encodeSetGuestDateTimeRequest(m: GuestDateTime): Buffer {
  return writer().int64(1, m.sec).int64(2, m.usec).finish();
}

export function decodeSetGuestDateTimeRequest(buf: Uint8Array): GuestDateTime {
  const raw = decodeBounded('SetGuestDateTimeRequest', buf, { sec: 0n, usec: 0n }, (r, f, wt, m) => {
    if (wt !== VARINT) return false;
    if (f === 1) m.sec = r.int64();
    else if (f === 2) m.usec = r.int64();
    else return false;
    return true;
  });
  if (raw.sec < BigInt(GUEST_TIME_MIN_SEC) || raw.sec >= BigInt(GUEST_TIME_END_SEC)) {
    throw invalidField('SetGuestDateTimeRequest.Sec', `is outside ${GUEST_TIME_MIN_SEC}..${GUEST_TIME_END_SEC - 1} (years 2000 to 2199)`, raw.sec);
  }
  if (raw.usec < 0n || raw.usec > BigInt(GUEST_TIME_MAX_USEC)) {
    throw invalidField('SetGuestDateTimeRequest.Usec', `is outside 0..${GUEST_TIME_MAX_USEC}`, raw.usec);
  }
  return { sec: Number(raw.sec), usec: Number(raw.usec) };
}

/** Kata `ReseedRandomDevRequest`: data=2 (bytes). */
export function encodeReseedRandomDevRequest(data: Uint8Array): Buffer {
  return writer().bytes(2, data).finish();
}

/** The seed, copied out of the frame (the caller should zero it once used). */
export function decodeReseedRandomDevRequest(buf: Uint8Array): Buffer {
  let data: Buffer | undefined;
  decodeBounded('ReseedRandomDevRequest', buf, {}, (r: ProtoReader, f, wt) => {
    if (f !== 2 || wt !== LEN) return false;
    const raw = r.bytes();
    // Checked before copying: an oversized field is never copied.
    if (raw.length > RESEED_MAX_BYTES) throw seedSize(raw.length);
    data = raw;
    return true;
  });
  const length = data?.length ?? 0;
  if (length < RESEED_MIN_BYTES) throw seedSize(length);
  return Buffer.from(data!);
}

function seedSize(length: number): Error {
  return invalidField('ReseedRandomDevRequest.data', `must hold ${RESEED_MIN_BYTES} to ${RESEED_MAX_BYTES} bytes`, `${length} bytes`);
}

function invalidField(field: string, problem: string, value: unknown): Error {
  return AgentErrors.AGENT_INVALID_ARGUMENT.create(`${field} ${problem}, got ${String(value)}`, {
    details: { field, value: String(value).slice(0, 64) },
  });
}
