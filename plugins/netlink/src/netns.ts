// SPDX-License-Identifier: Apache-2.0
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { NetworkErrors } from './network-errors';
import { loadNetlinkModules, loadedNetlinkModules } from './native-modules';

/**
 * Entering a network namespace without leaving Node in it.
 *
 * setns(2) with CLONE_NEWNET moves only the calling thread. So the main thread enters, runs a synchronous
 * function (typically: create a socket, which stays bound to the namespace it was created in), and goes
 * back to the namespace it came from, all in one synchronous stretch: no other JavaScript can run on the
 * main thread meanwhile, and libuv's thread pool never changes namespace. Anything `fn` starts
 * asynchronously (a promise, a thread-pool syscall) runs in the original namespace.
 */

const CLONE_NEWNET = 0x40000000n;
/** The calling thread's own namespace (not the thread group leader's, although Node's JS thread is the leader). */
const SELF_NETNS = '/proc/thread-self/ns/net';

const NETNS_HINT = 'Give the path of a network namespace, e.g. /var/run/netns/<name> or /proc/<pid>/ns/net';

/** The current thread's network namespace as the kernel names it ('net:[4026531833]'). */
export function currentNetns(): string {
  return readlinkSync(SELF_NETNS);
}

/**
 * Runs `fn` on the main thread inside the network namespace at `netnsPath` and returns its result.
 * Needs `loadNetlinkModules()` to have completed (use `runInNetns` otherwise).
 * Throws E_NETWORK_NETNS (path missing, not a network namespace, not enterable: `details.netns` names it),
 * E_NETWORK_NETNS_RESTORE if the thread could not return (the process must not go on), or what `fn` throws.
 */
export function runInNetnsSync<T>(netnsPath: string, fn: () => T): T {
  const modules = loadedNetlinkModules();
  if (!modules) throw NetworkErrors.NETWORK_NETLINK_SOCKET.create('Native modules are not loaded yet', { details: { netns: netnsPath } });
  const setns = (fd: number): void => { modules.sys.syscall.sync(modules.sys.__NR_setns, BigInt(fd), CLONE_NEWNET); };

  let target: number;
  try {
    target = openSync(netnsPath, 'r');
  } catch (err) {
    throw NetworkErrors.NETWORK_NETNS.create('Network namespace could not be opened', {
      cause: err, details: { netns: netnsPath, errno: (err as NodeJS.ErrnoException).code }, hint: NETNS_HINT,
    });
  }
  let original: number | undefined;
  try {
    const originalName = currentNetns();
    original = openSync(SELF_NETNS, 'r');
    try {
      setns(target);
    } catch (err) {
      // syscall-napi reports only strerror text (EINVAL: not a network namespace; EPERM: no CAP_SYS_ADMIN).
      throw NetworkErrors.NETWORK_NETNS.create('Network namespace could not be entered', {
        cause: err, details: { netns: netnsPath, reason: (err as Error).message }, hint: NETNS_HINT,
      });
    }
    try {
      return fn();
    } finally {
      restore(setns, original, originalName, netnsPath);
    }
  } finally {
    closeSync(target);
    if (original !== undefined) closeSync(original);
  }
}

/** `runInNetnsSync` after loading the native modules; only the synchronous part of `fn` runs inside. */
export async function runInNetns<T>(netnsPath: string, fn: () => T): Promise<T> {
  await loadNetlinkModules();
  return runInNetnsSync(netnsPath, fn);
}

function restore(setns: (fd: number) => void, original: number, originalName: string, netnsPath: string): void {
  let reason: string | undefined;
  try {
    setns(original);
    const now = currentNetns();
    if (now !== originalName) reason = `thread is in ${now}, expected ${originalName}`;
  } catch (err) {
    reason = (err as Error).message;
  }
  if (reason !== undefined) {
    throw NetworkErrors.NETWORK_NETNS_RESTORE.create('Main thread could not return to its network namespace', {
      details: { netns: netnsPath, original: originalName, reason },
      hint: 'Stop this process: its main thread may be in the wrong network namespace',
    });
  }
}
