// SPDX-License-Identifier: Apache-2.0
import { getSystemErrorMap } from 'node:util';
import { AttributeSet, align4, decodeFailure } from './netlink-attributes';
import { NLMSG, NLMSGERR_ATTR, NLM_F, messageTypeName } from './rtnetlink-constants';

/**
 * The netlink message layer: struct nlmsghdr (u32 len, u16 type, u16 flags, u32 seq, u32 pid), several
 * messages per datagram, NLMSG_ERROR (ACKs and errors, with extended-ack text) and NLMSG_DONE, and the
 * assembly of a multipart dump. All decoding is bounded (see netlink-attributes.ts).
 */

export const NLMSG_HDRLEN = 16;

export interface NetlinkHeader { type: number; flags: number; seq: number; pid: number }
export interface NetlinkMessage { header: NetlinkHeader & { length: number }; payload: Buffer }

/** Encodes one message; nlmsg_len is the header plus the (already 4-byte aligned) body. */
export function encodeMessage(header: Partial<NetlinkHeader> & { type: number }, body: Buffer): Buffer {
  const out = Buffer.alloc(NLMSG_HDRLEN + body.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(header.type, 4);
  out.writeUInt16LE(header.flags ?? 0, 6);
  out.writeUInt32LE((header.seq ?? 0) >>> 0, 8);
  out.writeUInt32LE((header.pid ?? 0) >>> 0, 12);
  body.copy(out, NLMSG_HDRLEN);
  return out;
}

/** Splits a datagram into its messages; a length field that does not fit the datagram is an error. */
export function decodeMessages(datagram: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const left = datagram.length - offset;
    if (left < NLMSG_HDRLEN) throw decodeFailure('nlmsghdr', `${left} bytes are too short for a message header`, { offset });
    const length = datagram.readUInt32LE(offset);
    const type = datagram.readUInt16LE(offset + 4);
    const where = messageTypeName(type);
    if (length < NLMSG_HDRLEN) throw decodeFailure(where, `nlmsg_len ${length} is shorter than the message header`, { offset });
    if (length > left) throw decodeFailure(where, `nlmsg_len ${length} points past the ${left} bytes left`, { offset });
    out.push({
      header: { length, type, flags: datagram.readUInt16LE(offset + 6), seq: datagram.readUInt32LE(offset + 8), pid: datagram.readUInt32LE(offset + 12) },
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += Math.min(align4(length), left);
  }
  return out;
}

/** A decoded NLMSG_ERROR: errno 0 is an ACK. */
export interface NetlinkAck {
  /** Positive errno (0 for an ACK). */
  errno: number;
  /** 'ENODEV'…, undefined for an ACK or an errno Node does not know. */
  errnoName: string | undefined;
  /** The kernel's extended-ack text (NLMSGERR_ATTR_MSG), when it sent one. */
  kernelMessage: string | undefined;
  /** The header of the request this answers, when the kernel echoed it. */
  request: NetlinkHeader | undefined;
}

/** Decodes the payload of NLMSG_ERROR (`flags` is the error message's nlmsg_flags: CAPPED, ACK_TLVS). */
export function decodeAck(payload: Buffer, flags: number): NetlinkAck {
  if (payload.length < 4) throw decodeFailure('NLMSG_ERROR', `a payload of ${payload.length} bytes has no error field`);
  const errno = 0 - payload.readInt32LE(0); // not -x: that gives -0 for an ACK
  let request: NetlinkHeader | undefined;
  let tlvOffset = 4;
  if (payload.length >= 4 + NLMSG_HDRLEN) {
    const reqLen = payload.readUInt32LE(4);
    request = { type: payload.readUInt16LE(8), flags: payload.readUInt16LE(10), seq: payload.readUInt32LE(12), pid: payload.readUInt32LE(16) };
    // Without NLM_F_CAPPED the kernel echoes the whole request, else only its header.
    tlvOffset = 4 + ((flags & NLM_F.CAPPED) !== 0 ? NLMSG_HDRLEN : align4(reqLen));
  }
  let kernelMessage: string | undefined;
  if ((flags & NLM_F.ACK_TLVS) !== 0) {
    if (tlvOffset > payload.length) throw decodeFailure('NLMSG_ERROR', `the echoed request (${tlvOffset - 4} bytes) points past the payload`);
    kernelMessage = AttributeSet.decode(payload.subarray(tlvOffset), 'NLMSG_ERROR', { table: NLMSGERR_ATTR, prefix: 'NLMSGERR_ATTR' }).string(NLMSGERR_ATTR.MSG);
  }
  return { errno, errnoName: errnoName(errno), kernelMessage, request };
}

/** Decodes the payload of NLMSG_DONE: an errno (0 when the dump ended normally) and extended-ack text. */
export function decodeDone(payload: Buffer, flags: number): NetlinkAck {
  // Old kernels and some families send an empty NLMSG_DONE.
  if (payload.length === 0) return { errno: 0, errnoName: undefined, kernelMessage: undefined, request: undefined };
  if (payload.length < 4) throw decodeFailure('NLMSG_DONE', `a payload of ${payload.length} bytes has no error field`);
  const errno = 0 - payload.readInt32LE(0); // not -x: that gives -0 for an ACK
  const kernelMessage = (flags & NLM_F.ACK_TLVS) !== 0
    ? AttributeSet.decode(payload.subarray(4), 'NLMSG_DONE', { table: NLMSGERR_ATTR, prefix: 'NLMSGERR_ATTR' }).string(NLMSGERR_ATTR.MSG)
    : undefined;
  return { errno, errnoName: errnoName(errno), kernelMessage, request: undefined };
}

export function errnoName(errno: number): string | undefined {
  return errno === 0 ? undefined : getSystemErrorMap().get(-errno)?.[0];
}

/** The outcome of a request: its data messages and the terminating ACK/error/DONE, if one arrived. */
export interface NetlinkReply { messages: NetlinkMessage[]; end: NetlinkAck | undefined; interrupted: boolean }

/**
 * Collects the answer to request `seq` from messages in arrival order: data messages up to NLMSG_DONE
 * (a dump) or NLMSG_ERROR (an ACK or error). `interrupted` is set when the kernel flagged NLM_F_DUMP_INTR
 * (the table changed during the dump; the caller should dump again). Messages of other sequence numbers are
 * ignored. Returns `end: undefined` when the answer is not complete yet.
 */
export function collectReply(messages: readonly NetlinkMessage[], seq: number): NetlinkReply {
  const data: NetlinkMessage[] = [];
  let interrupted = false;
  for (const m of messages) {
    if (m.header.seq !== seq) continue;
    if ((m.header.flags & NLM_F.DUMP_INTR) !== 0) interrupted = true;
    if (m.header.type === NLMSG.ERROR) return { messages: data, end: decodeAck(m.payload, m.header.flags), interrupted };
    if (m.header.type === NLMSG.DONE) return { messages: data, end: decodeDone(m.payload, m.header.flags), interrupted };
    if (m.header.type === NLMSG.NOOP) continue;
    data.push(m);
  }
  return { messages: data, end: undefined, interrupted };
}
