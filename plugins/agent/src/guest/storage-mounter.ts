// SPDX-License-Identifier: Apache-2.0
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { GuestStorage, Logger } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import type { CommandRunner } from './command-runner';
import { findDiskBySerial } from './disk-finder';

export interface StorageMounterOptions {
  run: CommandRunner;
  logger: Logger;
  sysBlockDir: string;
  devDir: string;
  diskWaitMs?: number;
}

interface Mounted { storage: GuestStorage; refs: number }

/**
 * Mounts and unmounts the storages of the sandbox and its containers with busybox `mount`/`umount`.
 * A mount point is mounted once; the same storage asked for again is reference-counted.
 */
export class StorageMounter {
  private readonly mounted = new Map<string, Mounted>();
  private scsiLoaded: Promise<void> | undefined;

  constructor(private readonly options: StorageMounterOptions) {}

  /** Guest paths mounted now. */
  mountPoints(): string[] {
    return [...this.mounted.keys()];
  }

  /** Mounts all, in order; on a failure unmounts what this call mounted and throws. */
  async mountAll(storages: readonly GuestStorage[]): Promise<string[]> {
    const done: string[] = [];
    try {
      for (const s of storages) {
        await this.mount(s);
        done.push(s.mountPoint);
      }
    } catch (err) {
      await this.unmountAll(done);
      throw err;
    }
    return done;
  }

  /** Unmounts in reverse order; failures are logged, the first is thrown after trying all. */
  async unmountAll(mountPoints: readonly string[]): Promise<void> {
    let first: unknown;
    for (const mp of [...mountPoints].reverse()) {
      try {
        await this.unmount(mp);
      } catch (err) {
        this.options.logger.warn('Unmount failed', { mountPoint: mp, err });
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  private async mount(s: GuestStorage): Promise<void> {
    checkStorage(s);
    const held = this.mounted.get(s.mountPoint);
    if (held) {
      if (held.storage.driver !== s.driver || held.storage.source !== s.source) {
        throw AgentErrors.AGENT_STATE.create('The mount point is in use by another storage', { details: { mountPoint: s.mountPoint } });
      }
      held.refs++;
      return;
    }
    const opts = s.options.length > 0 ? ['-o', s.options.join(',')] : [];
    let args: string[];
    if (s.driver === 'blk' || s.driver === 'scsi') {
      if (s.driver === 'scsi') await this.loadScsi();
      const disk = await findDiskBySerial(s.source, { sysBlockDir: this.options.sysBlockDir, timeoutMs: this.options.diskWaitMs });
      // fstype `auto`: busybox mount probes the filesystems the kernel has.
      const type = s.fstype === 'auto' ? [] : ['-t', s.fstype];
      args = [...type, ...opts, posix.join(this.options.devDir, disk), s.mountPoint];
    } else if (s.driver === 'virtio-fs') {
      args = ['-t', 'virtiofs', ...opts, s.source, s.mountPoint];
    } else if (s.driver === 'tmpfs') {
      args = ['-t', 'tmpfs', ...opts, 'tmpfs', s.mountPoint];
    } else {
      throw AgentErrors.AGENT_STORAGE_UNSUPPORTED.create('The storage driver is not supported in the guest', {
        details: { driver: s.driver, supported: ['blk', 'scsi', 'virtio-fs', 'tmpfs'] },
      });
    }
    await mkdir(s.mountPoint, { recursive: true });
    try {
      await this.runMount(s, args);
    } catch (err) {
      throw AgentErrors.AGENT_MOUNT.create('A storage cannot be mounted', {
        details: { driver: s.driver, source: s.source, mountPoint: s.mountPoint }, cause: err,
      });
    }
    this.mounted.set(s.mountPoint, { storage: s, refs: 1 });
    this.options.logger.debug('Storage mounted', { driver: s.driver, source: s.source, mountPoint: s.mountPoint });
  }

  /**
   * The guest loads virtiofs only when a sandbox needs it (not at boot): a virtio-fs mount that fails is
   * retried after `modprobe virtiofs` (a no-op when it is loaded or built in) until the tag shows up — a device
   * hot-plugged into a VM restored from a template is probed a moment after the guest resumes.
   */
  private async runMount(s: GuestStorage, args: string[]): Promise<void> {
    try {
      await this.options.run('mount', args);
    } catch (err) {
      if (s.driver !== 'virtio-fs') throw err;
      await this.options.run('modprobe', ['virtiofs']).catch((e: unknown) => this.options.logger.warn('modprobe virtiofs failed', { err: e }));
      const deadline = Date.now() + (this.options.diskWaitMs ?? 10_000);
      for (;;) {
        try {
          await this.options.run('mount', args);
          return;
        } catch (e) {
          if (Date.now() >= deadline) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }

  /**
   * Stage 1 loads the SCSI modules only when the guest image disk is on SCSI: a `scsi` storage (a disk on
   * virtio-scsi, found by its VPD serial) loads virtio_scsi and sd_mod first, once per agent.
   */
  private loadScsi(): Promise<void> {
    this.scsiLoaded ??= (async () => {
      for (const m of ['virtio_scsi', 'sd_mod']) {
        await this.options.run('modprobe', [m]).catch((err: unknown) => this.options.logger.warn('modprobe failed', { module: m, err }));
      }
    })();
    return this.scsiLoaded;
  }

  private async unmount(mountPoint: string): Promise<void> {
    const held = this.mounted.get(mountPoint);
    if (!held) return;
    if (--held.refs > 0) return;
    try {
      await this.options.run('umount', [mountPoint]);
    } catch (err) {
      // Busy (a process still has a file open): detach it so the sandbox can still go away.
      this.options.logger.warn('Unmount failed, detaching lazily', { mountPoint, err });
      try {
        await this.options.run('umount', ['-l', mountPoint]);
      } catch (lazyErr) {
        held.refs++;
        throw AgentErrors.AGENT_MOUNT.create('A storage cannot be unmounted', { details: { mountPoint }, cause: lazyErr });
      }
    }
    this.mounted.delete(mountPoint);
  }
}

/** Rejects what would make a bad or dangerous mount command (relative paths, option injection). */
export function checkStorage(s: GuestStorage): void {
  const bad = (field: string, value: string): Error =>
    AgentErrors.AGENT_INVALID_ARGUMENT.create('A storage field is invalid', { details: { field, value: value.slice(0, 256) } });
  if (!isCleanAbsolute(s.mountPoint) || s.mountPoint === '/') throw bad('mountPoint', s.mountPoint);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(s.source) && s.driver !== 'tmpfs') throw bad('source', s.source);
  if ((s.driver === 'blk' || s.driver === 'scsi') && !/^[a-z0-9_.]{1,32}$/.test(s.fstype)) throw bad('fstype', s.fstype);
  for (const o of s.options) if (o.length === 0 || /[,\s\0]/.test(o) || o.length > 1024) throw bad('options', o);
}

/** An absolute, normalised path without `..` or trailing slash. */
export function isCleanAbsolute(p: string): boolean {
  return p.startsWith('/') && p.length <= 4096 && !p.includes('\0') && posix.normalize(p) === p && (p === '/' || !p.endsWith('/'));
}
