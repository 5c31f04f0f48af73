// SPDX-License-Identifier: Apache-2.0
import { closeSync } from 'node:fs';
import { nativeSyscalls } from './native-syscalls';
import { TtyErrors } from './tty-errors';

/*
 * sendmsg(2)/recvmsg(2) with one SCM_RIGHTS file descriptor, the structs built in Buffers (LP64 layouts):
 *   struct msghdr  { void *name; socklen_t namelen; (pad) struct iovec *iov; size_t iovlen;
 *                    void *control; size_t controllen; int flags; (pad) }            56 bytes
 *   struct iovec   { void *base; size_t len; }                                         16 bytes
 *   struct cmsghdr { size_t len; int level; int type; unsigned char data[]; }         16 + data
 */
const MSGHDR_SIZE = 56;
const IOVEC_SIZE = 16;
const CMSG_HDR = 16;
/** CMSG_LEN(sizeof(int)) and CMSG_SPACE(sizeof(int)). */
const CMSG_LEN_FD = CMSG_HDR + 4;
const CMSG_SPACE_FD = CMSG_HDR + 8;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CTRUNC = 0x8;
const MSG_DONTWAIT = 0x40n;
const MSG_NOSIGNAL = 0x4000n;
const MSG_CMSG_CLOEXEC = 0x40000000n;
/** runc's limit for the name sent with the master. */
export const MAX_FD_MESSAGE = 4096;

interface Message { hdr: Buffer; keep: Buffer[] }

function message(data: Buffer, control: Buffer): Message {
  const sys = nativeSyscalls();
  const iov = Buffer.alloc(IOVEC_SIZE);
  iov.writeBigUInt64LE(sys.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const hdr = Buffer.alloc(MSGHDR_SIZE);
  hdr.writeBigUInt64LE(sys.address(iov), 16);
  hdr.writeBigUInt64LE(1n, 24);
  hdr.writeBigUInt64LE(sys.address(control), 32);
  hdr.writeBigUInt64LE(BigInt(control.length), 40);
  // The Buffers the pointers point into must stay alive while the syscall runs.
  return { hdr, keep: [iov, data, control] };
}

/**
 * Sends `fd` over the connected unix socket `socketFd` with `payload` as the data (one sendmsg, one
 * SCM_RIGHTS message with one fd), as runc sends a pty master over a console socket.
 */
export function sendFd(socketFd: number, fd: number, payload: Buffer | string): void {
  const data = Buffer.from(payload);
  if (data.length === 0 || data.length > MAX_FD_MESSAGE) {
    throw TtyErrors.TTY_FD_PASSING.create('The message sent with a file descriptor must be 1 to 4096 bytes', { details: { length: data.length } });
  }
  const control = Buffer.alloc(CMSG_SPACE_FD);
  control.writeBigUInt64LE(BigInt(CMSG_LEN_FD), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, CMSG_HDR);
  const m = message(data, control);
  let sent: bigint;
  try {
    sent = nativeSyscalls().sync('sendmsg', BigInt(socketFd), m.hdr, MSG_NOSIGNAL);
  } catch (cause) {
    throw TtyErrors.TTY_FD_PASSING.create('A file descriptor could not be sent', { cause, details: { socketFd, fd, reason: (cause as Error).message } });
  }
  if (Number(sent) !== data.length) {
    throw TtyErrors.TTY_FD_PASSING.create('A file descriptor was sent with a truncated message', { details: { sent: Number(sent), length: data.length } });
  }
  void m.keep;
}

export interface ReceivedFd {
  /** The received descriptor, close-on-exec. */
  fd: number;
  /** The data that came with it (runc's console socket: the master's name, `/dev/ptmx`). */
  payload: Buffer;
}

/**
 * One non-blocking recvmsg on `socketFd`: `undefined` when nothing is queued yet (or the peer closed without
 * sending). Refuses, as runc's receiver does, anything but exactly one SCM_RIGHTS message with exactly one fd
 * (any fds that came with a refused message are closed).
 */
export function receiveFdNow(socketFd: number): ReceivedFd | undefined {
  const data = Buffer.alloc(MAX_FD_MESSAGE);
  const control = Buffer.alloc(CMSG_SPACE_FD * 4);
  const m = message(data, control);
  let got: bigint;
  try {
    got = nativeSyscalls().sync('recvmsg', BigInt(socketFd), m.hdr, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } catch (cause) {
    // EAGAIN/EWOULDBLOCK: syscall-napi gives strerror's text only; anything else is a real failure.
    if (/temporarily unavailable|would block/i.test((cause as Error).message)) return undefined;
    throw TtyErrors.TTY_FD_PASSING.create('A file descriptor could not be received', { cause, details: { socketFd, reason: (cause as Error).message } });
  }
  const controlLen = Number(m.hdr.readBigUInt64LE(40));
  const flags = m.hdr.readInt32LE(48);
  const fds = controlFds(control, controlLen);
  if (got === 0n && fds.length === 0) return undefined;
  if (controlLen !== CMSG_SPACE_FD || fds.length !== 1 || (flags & MSG_CTRUNC) !== 0) {
    closeAll(fds);
    throw TtyErrors.TTY_FD_PASSING.create('The message did not carry exactly one file descriptor', { details: { fds: fds.length, controlLen, flags } });
  }
  return { fd: fds[0]!, payload: Buffer.from(data.subarray(0, Number(got))) };
}

/** The fds of every SCM_RIGHTS message in a control buffer. */
function controlFds(control: Buffer, length: number): number[] {
  const fds: number[] = [];
  for (let off = 0; off + CMSG_HDR <= length;) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < CMSG_HDR || off + len > length) break;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return fds;
}

function closeAll(fds: number[]): void {
  for (const fd of fds) { try { closeSync(fd); } catch { /* already closed */ } }
}

/**
 * Waits (in the thread pool, so the event loop keeps running) until `fd` is readable, at most `timeoutMs`.
 * Resolves true when readable (or hung up: a recv then tells which).
 */
export async function waitReadable(fd: number, timeoutMs: number): Promise<boolean> {
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(fd, 0);
  pollfd.writeInt16LE(0x1, 4); // POLLIN
  const ts = Buffer.alloc(16);
  ts.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
  ts.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1_000_000), 8);
  const n = await nativeSyscalls().async('ppoll', pollfd, 1n, ts, 0n, 0n);
  return n > 0n;
}
