// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStorageRequest, GuestStorage, OciMount, PreparedStorage, SandboxContext, StorageDriver, VmDevice } from '@cella/core';
import { bindMount, removeUnmountedTree, runMount, unmountAll } from './host-mounts';
import { checkContainerId, isBindMount, planBind, planMounts, type PlannedBind } from './mount-plan';
import { defaultVirtiofsdPaths, resolveVirtiofsConfig, type VirtiofsConfig } from './virtiofs-config';
import { VirtiofsErrors } from './virtiofs-errors';
import { probeVirtiofsd, virtiofsdArgsFor } from './virtiofsd-binary';
import { VirtiofsdDaemon } from './virtiofsd-daemon';
import { holdUserNamespace } from './virtiofsd-ownership';

const PLUGIN_ID = 'storage.virtiofs';
/** The virtio-fs tag of the sandbox's one share. */
export const SHARED_TAG = 'cella-shared';
/** Where the guest agent mounts the share. */
export const GUEST_SHARED_DIR = '/run/cella/shared';
/** sun_path holds 108 bytes with the NUL. */
const MAX_SOCKET_PATH = 107;

interface Shared { dir: string; daemonDir: string; seqs: number[]; daemon?: VirtiofsdDaemon }
interface Made { seq: number; target?: string }

/**
 * Rootfs and bind volumes through one virtiofsd per sandbox. The sandbox gets a folder `<runDir>/shared`
 * (a private bind mount of itself, made shared so that later mounts reach virtiofsd's namespace); each
 * container's rootfs and bind sources are bind-mounted below `shared/<containerId>/`, read-only where the
 * spec says so. Everything is journalled before it is made and undone in reverse.
 */
export class VirtiofsStorageDriver implements StorageDriver {
  private readonly config: VirtiofsConfig;
  private shared: Shared | undefined;
  private readonly containers = new Map<string, Made[]>();
  private readonly candidates: readonly string[];

  /** `cacheDir` (the core's `cache_dir`) is where Cella's own Rust virtiofsd is looked for first. */
  constructor(private readonly sandbox: SandboxContext, config: Partial<VirtiofsConfig>, cacheDir?: string) {
    this.config = resolveVirtiofsConfig(config);
    this.candidates = defaultVirtiofsdPaths(cacheDir);
  }

  /** Host folder shared with the guest (exists once the first container was prepared). */
  get sharedDir(): string {
    return join(this.sandbox.runDir, 'shared');
  }

  get socketPath(): string {
    return join(this.sandbox.runDir, 'vfs', 'vhost.sock');
  }

  /** pid of the running virtiofsd, if any. */
  get daemonPid(): number | undefined {
    return this.shared?.daemon?.pid;
  }

  async prepare(req: ContainerStorageRequest): Promise<PreparedStorage> {
    const cid = req.containerId;
    checkContainerId(cid);
    if (this.containers.has(cid)) {
      throw VirtiofsErrors.STORAGE_INVALID_ARGUMENT.create('The container was prepared already', { details: { containerId: cid } });
    }
    // Check every input before anything is made: bad input leaves nothing behind.
    if (Buffer.byteLength(this.socketPath) > MAX_SOCKET_PATH) {
      throw VirtiofsErrors.STORAGE_INVALID_ARGUMENT.create('The virtiofsd socket path is too long for a unix socket', {
        details: { socketPath: this.socketPath, max: MAX_SOCKET_PATH }, hint: 'Use a shorter state root.',
      });
    }
    const root = req.rootfs && await planBind('root.path', -1, req.rootfs.path, req.rootfs.readonly, false);
    if (root && !root.isDir) {
      throw VirtiofsErrors.STORAGE_MOUNT_SOURCE.create('The container rootfs is not a folder', { details: { field: 'root.path', source: root.named } });
    }
    const binds = [...(root ? [root] : []), ...(await planMounts(req.mounts))];
    const binary = this.shared?.daemon ? undefined : await probeVirtiofsd(this.config.virtiofsd_path, this.candidates);
    const args = binary && virtiofsdArgsFor(binary.flavour, this.config, this.socketPath, this.sharedDir);
    const first = this.shared === undefined;
    const made: Made[] = [];
    this.containers.set(cid, made);
    try {
      const shared = this.shared ?? (this.shared = await this.makeShared());
      const cdir = join(shared.dir, cid);
      made.push({ seq: (await this.sandbox.journal.record('path', PLUGIN_ID, `shared folder of ${cid}`, { path: cdir })).seq });
      await fs.mkdir(join(cdir, 'mounts'), { recursive: true });
      for (const b of binds) await this.bind(cid, b, b.index < 0 ? join(cdir, 'rootfs') : join(cdir, 'mounts', String(b.index)), made);
      if (binary && args) {
        await fs.mkdir(shared.daemonDir, { recursive: true });
        const userNs = this.config.ownership === 'unprivileged' ? await holdUserNamespace(this.config.unprivileged_id, this.sandbox.journal) : undefined;
        try {
          shared.daemon = await VirtiofsdDaemon.start({
            binary, args, launcher: userNs?.launcher, socketPath: this.socketPath, logPath: join(shared.daemonDir, 'virtiofsd.log'),
            journal: this.sandbox.journal,
          });
          if (userNs && !(await userNs.contains(shared.daemon.pid))) {
            throw VirtiofsErrors.STORAGE_VIRTIOFSD.create('virtiofsd is not in the user namespace made for it', { details: { pid: shared.daemon.pid } });
          }
        } finally {
          await userNs?.release();
        }
        this.sandbox.logger.debug('virtiofsd started', { pid: shared.daemon.pid, flavour: binary.flavour, version: binary.version });
      }
    } catch (err) {
      await this.release(cid).catch((e: unknown) => this.sandbox.logger.warn('Undoing a failed prepare failed', { containerId: cid, err: e }));
      if (first) await this.cleanup().catch((e: unknown) => this.sandbox.logger.warn('Undoing the shared folder failed', { err: e }));
      throw err;
    }
    // Not `cella-…`: the QEMU plugin reserves that prefix for its own devices.
    const device: VmDevice = { kind: 'fs', id: 'shared-fs0', socketPath: this.socketPath, tag: SHARED_TAG };
    const storage: GuestStorage = { driver: 'virtio-fs', source: SHARED_TAG, fstype: 'virtiofs', options: [], mountPoint: GUEST_SHARED_DIR };
    return {
      devices: first ? [device] : [],
      storages: [storage],
      guestRootPath: root && `${GUEST_SHARED_DIR}/${cid}/rootfs`,
      guestMounts: req.mounts.map((m, i): OciMount => (isBindMount(m) ? { ...m, source: `${GUEST_SHARED_DIR}/${cid}/mounts/${i}` } : m)),
    };
  }

  async release(containerId: string): Promise<void> {
    const made = this.containers.get(containerId);
    if (!made) return;
    for (const m of [...made].reverse()) {
      if (m.target !== undefined) await unmountAll(m.target);
      else if (this.shared) await removeUnmountedTree(join(this.shared.dir, containerId));
      await this.sandbox.journal.complete(m.seq);
      made.splice(made.indexOf(m), 1);
    }
    this.containers.delete(containerId);
  }

  async cleanup(): Promise<void> {
    for (const id of [...this.containers.keys()].reverse()) await this.release(id);
    const shared = this.shared;
    if (!shared) return;
    if (shared.daemon) {
      await shared.daemon.stop();
      shared.daemon = undefined;
    }
    // seqs: [shared folder, its self-bind, daemon folder]
    const [dirSeq, bindSeq, daemonSeq] = shared.seqs;
    if (daemonSeq !== undefined) { await fs.rm(shared.daemonDir, { recursive: true, force: true }); await this.sandbox.journal.complete(daemonSeq); }
    if (bindSeq !== undefined) { await unmountAll(shared.dir); await this.sandbox.journal.complete(bindSeq); }
    if (dirSeq !== undefined) { await removeUnmountedTree(shared.dir); await this.sandbox.journal.complete(dirSeq); }
    this.shared = undefined;
  }

  /** `<runDir>/shared` as its own mount in its own shared peer group, and the folder for virtiofsd's socket. */
  private async makeShared(): Promise<Shared> {
    const j = this.sandbox.journal;
    const shared: Shared = { dir: this.sharedDir, daemonDir: join(this.sandbox.runDir, 'vfs'), seqs: [] };
    this.shared = shared;
    shared.seqs.push((await j.record('path', PLUGIN_ID, 'virtio-fs shared folder', { path: shared.dir })).seq);
    await fs.mkdir(shared.dir, { recursive: true, mode: 0o700 });
    shared.seqs.push((await j.record('mount', PLUGIN_ID, 'virtio-fs shared folder', { target: shared.dir })).seq);
    await runMount('mount', ['--bind', shared.dir, shared.dir]);
    await runMount('mount', ['--make-private', shared.dir]);
    await runMount('mount', ['--make-shared', shared.dir]);
    shared.seqs.push((await j.record('path', PLUGIN_ID, 'virtiofsd socket folder', { path: shared.daemonDir })).seq);
    return shared;
  }

  /** Bind one checked source on its target below the shared folder; journalled before it is mounted. */
  private async bind(cid: string, b: PlannedBind, target: string, made: Made[]): Promise<void> {
    if (b.isDir) await fs.mkdir(target);
    else await fs.writeFile(target, '', { flag: 'wx', mode: 0o600 });
    const entry = await this.sandbox.journal.record('mount', PLUGIN_ID, `${b.field} of ${cid}`, { target });
    made.push({ seq: entry.seq, target });
    await bindMount(b.source, target, { readOnly: b.readOnly, recursive: b.recursive });
    const st = await fs.stat(target);
    if (st.dev !== b.dev || st.ino !== b.ino) {
      throw VirtiofsErrors.STORAGE_MOUNT_SOURCE.create('A mount source changed while it was being mounted', {
        details: { field: b.field, source: b.named, resolved: b.source },
        hint: 'Something replaced the source (or a symlink in its path) during container creation.',
      });
    }
  }
}
