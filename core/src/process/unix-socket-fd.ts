// SPDX-License-Identifier: Apache-2.0
import { closeSync, rmSync } from 'node:fs';
import { nativeSyscalls } from '../tty/native-syscalls';
import { ProcessErrors } from './process-errors';

const AF_UNIX = 1n;
const SOCK_STREAM = 1n;
const SOCK_CLOEXEC = 0x80000n;
/** sizeof(struct sockaddr_un): sa_family_t (2 bytes) + sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;

function sockaddr(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (bytes.length === 0 || bytes.length > SOCKADDR_UN_SIZE - 3) {
    throw ProcessErrors.PROCESS_SOCKET.create('A unix socket path is too long.', { details: { path, bytes: bytes.length, max: SOCKADDR_UN_SIZE - 3 } });
  }
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  addr.writeUInt16LE(Number(AF_UNIX), 0);
  bytes.copy(addr, 2);
  return addr;
}

function socketCall(path: string, what: string, call: (fd: bigint, addr: Buffer) => void): number {
  const sys = nativeSyscalls();
  const addr = sockaddr(path);
  let fd: number;
  try {
    fd = Number(sys.sync('socket', AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0n));
  } catch (cause) {
    throw ProcessErrors.PROCESS_SOCKET.create('A unix socket could not be made.', { cause, details: { path } });
  }
  try {
    call(BigInt(fd), addr);
    return fd;
  } catch (cause) {
    closeSync(fd);
    throw ProcessErrors.PROCESS_SOCKET.create(`The unix socket could not ${what}.`, { cause, details: { path, reason: (cause as Error).message } });
  }
}

/**
 * A listening unix stream socket at `path` (an old file there is removed), as a close-on-exec fd the caller
 * hands to a child: the child serves on it without needing any right on the folder (QEMU's QMP and agent
 * sockets when QEMU runs unprivileged). Closing the fd does not remove the file.
 */
export function listenUnixFd(path: string, backlog = 8): number {
  rmSync(path, { force: true });
  return socketCall(path, 'listen', (fd, addr) => {
    const sys = nativeSyscalls();
    sys.sync('bind', fd, addr, BigInt(SOCKADDR_UN_SIZE));
    sys.sync('listen', fd, BigInt(backlog));
  });
}

/** A unix stream socket connected to `path`, as a close-on-exec fd for a child (QEMU's end of virtiofsd's socket). */
export function connectUnixFd(path: string): number {
  return socketCall(path, 'connect', (fd, addr) => { nativeSyscalls().sync('connect', fd, addr, BigInt(SOCKADDR_UN_SIZE)); });
}
