// SPDX-License-Identifier: Apache-2.0
/**
 * `ownership = "unprivileged"` (docs/adr/0013): virtiofsd runs as root of a user namespace whose root is the
 * unprivileged host id U and in which host root is the id U (a swap; every other id maps to itself). Inside it
 * virtiofsd keeps CAP_DAC_OVERRIDE, so the guest still writes into root-owned folders and files of the rootfs,
 * but it is not host root: it owns only what it made (as U), holds no CAP_FOWNER, CAP_FSETID or CAP_SETFCAP,
 * and no user namespace may make a device node. Virtiofsd's own id translation squashes every guest id onto
 * its root (U on the host) and shows host root's files to the guest as root's.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { processStartTime, sleep, type Journal } from '@cella/core';
import type { VirtiofsOwnership } from './virtiofs-config';
import type { VirtiofsdFlavour } from './virtiofsd-binary';
import { optionError, VirtiofsErrors } from './virtiofs-errors';

/** The highest id a user namespace can map ((u32)-1 means "no id"). */
const MAX_ID = 4294967294;
/** Every id a guest can name: the count of the squash range starting at 0. */
const ALL_GUEST_IDS = 4294967295;
/**
 * Dropped from virtiofsd's default set (chown, dac_override, fowner, fsetid, setgid, setuid, mknod, setfcap).
 * setgid stays: virtiofsd sets supplementary groups for guests that send them (all squashed to its own group).
 */
const DROPPED_CAPS = '-fowner:-fsetid:-mknod:-setfcap:-setuid';
/** How long unshare(1) may take to make the namespace. */
const UNSHARE_WAIT_MS = 5_000;
/** The holder ends by itself after this; virtiofsd joins its namespace within the driver's socket wait (10 s). */
const HOLD_SECONDS = 30;
const PLUGIN_ID = 'storage.virtiofs';

/** Ownership arguments for virtiofsd's command line; QEMU's C virtiofsd cannot translate ids and is refused. */
export function ownershipArgs(flavour: VirtiofsdFlavour, ownership: VirtiofsOwnership, id: number): string[] {
  if (ownership === 'passthrough') return [];
  if (flavour === 'c') {
    throw optionError('ownership', ownership, 'passthrough (QEMU\'s C virtiofsd cannot translate ids)');
  }
  const squash = `squash-guest:0:0:${ALL_GUEST_IDS}`;
  const hostRoot = `host:${id}:0:1`;
  return ['--translate-uid', squash, '--translate-gid', squash, '--translate-uid', hostRoot, '--translate-gid', hostRoot,
    `--modcaps=${DROPPED_CAPS}`];
}

/** The uid_map/gid_map of virtiofsd's user namespace: 0 and `id` swapped, every other id to itself. */
export function userNamespaceMap(id: number): string {
  if (!Number.isInteger(id) || id < 1 || id >= MAX_ID) {
    throw optionError('unprivileged_id', String(id), `an integer from 1 to ${MAX_ID - 1}`);
  }
  const lines = [`0 ${id} 1`, `${id} 0 1`];
  if (id > 1) lines.push(`1 1 ${id - 1}`);
  lines.push(`${id + 1} ${id + 1} ${MAX_ID - id}`);
  return `${lines.join('\n')}\n`;
}

/** A user namespace held open by a short-lived process until virtiofsd has joined it. */
export interface UserNamespaceHold {
  /** The command that runs the rest of its arguments as root of the namespace. */
  readonly launcher: readonly string[];
  /** Whether `pid` runs in this namespace (not in another one a reused holder pid could have named). */
  contains(pid: number): Promise<boolean>;
  /** End the holding process (the namespace lives on while virtiofsd is in it) and complete its journal entry. */
  release(): Promise<void>;
}

/**
 * Make the user namespace with unshare(1) and write its maps (as host root: any map is allowed, in one write
 * each, as the kernel requires). The holder is journalled before it is spawned and is a `sleep` that ends by
 * itself, so even a crash that skips the journal leaves nothing running for long.
 */
export async function holdUserNamespace(id: number, journal: Journal): Promise<UserNamespaceHold> {
  const map = userNamespaceMap(id);
  const entry = await journal.record('process', PLUGIN_ID, 'virtiofsd user namespace holder', { name: 'unshare', graceMs: 0 });
  const holder = spawn('unshare', ['--user', '--', 'sleep', String(HOLD_SECONDS)], { stdio: 'ignore' });
  // Out of the journal before it is killed: a sandbox's watchdog reads a journalled process that is gone as a death
  // of the sandbox (its `sleep` ends by itself should this process die in between).
  const release = async (): Promise<void> => {
    await journal.complete(entry.seq);
    if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
  };
  try {
    await new Promise<void>((resolve, reject) => { holder.once('spawn', resolve); holder.once('error', reject); });
    const pid = holder.pid!;
    await journal.update(entry.seq, { name: 'unshare', pid, startTime: processStartTime(pid), graceMs: 0 });
    const nsPath = `/proc/${String(pid)}/ns/user`;
    const own = await fs.readlink('/proc/self/ns/user');
    let ns = own;
    for (const deadline = Date.now() + UNSHARE_WAIT_MS; ns === own; ns = await fs.readlink(nsPath).catch(() => own)) {
      if (holder.exitCode !== null || Date.now() > deadline) throw new Error('unshare --user did not make a user namespace');
      await sleep(5);
    }
    await fs.writeFile(`/proc/${String(pid)}/uid_map`, map);
    await fs.writeFile(`/proc/${String(pid)}/gid_map`, map);
    const contains = async (other: number): Promise<boolean> => (await fs.readlink(`/proc/${String(other)}/ns/user`).catch(() => '')) === ns;
    return { launcher: ['nsenter', `--user=${nsPath}`, '--setuid=0', '--setgid=0', '--'], contains, release };
  } catch (err) {
    await release();
    throw VirtiofsErrors.STORAGE_VIRTIOFSD.create('The user namespace for virtiofsd cannot be made', {
      cause: err, details: { unprivileged_id: id },
      hint: 'User namespaces must be enabled (user.max_user_namespaces > 0) and unshare/nsenter (util-linux) installed; or set ownership = "passthrough" under [plugins."storage.virtiofs"].',
    });
  }
}
