// SPDX-License-Identifier: Apache-2.0
import { readdirSync } from 'node:fs';
import { nativeSyscalls } from '../tty/native-syscalls';

const F_GETFD = 1n;
const F_SETFD = 2n;
const FD_CLOEXEC = 1n;

/**
 * Marks every fd above 2 that this process inherited without FD_CLOEXEC as close-on-exec, so that nothing the
 * caller left open (`cella create … 200>file`) reaches the holder, QEMU or virtiofsd. Node and libuv open their
 * own fds with O_CLOEXEC, and the fds a child is given on purpose go through spawn's `stdio`, which dup2s them
 * (the copy is inheritable), so this is safe to call first thing in every entry point. The fds stay open in this
 * process: a caller may still rely on them here. Returns the fds it marked.
 */
export function sealInheritedFds(keep: readonly number[] = []): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return []; // no /proc: nothing to learn the fds from (not a supported host)
  }
  const sys = nativeSyscalls();
  const sealed: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= 2 || keep.includes(fd)) continue;
    try {
      const flags = sys.sync('fcntl', BigInt(fd), F_GETFD);
      if ((flags & FD_CLOEXEC) !== 0n) continue;
      sys.sync('fcntl', BigInt(fd), F_SETFD, flags | FD_CLOEXEC);
      sealed.push(fd);
    } catch {
      // The directory's own fd, closed once listed (EBADF): nothing to seal.
    }
  }
  return sealed;
}
