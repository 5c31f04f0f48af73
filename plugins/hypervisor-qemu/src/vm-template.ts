// SPDX-License-Identifier: Apache-2.0
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { VmSpec, VmTemplateInfo } from '@cella/core';
import { HOTPLUG_PORTS } from './qemu-command-line';
import type { QemuConfig } from './qemu-config';
import type { QmpClient } from './qmp-client';
import { QemuErrors } from './qemu-errors';

/** Bump when what a template holds, or how it is restored, changes: older templates are then never matched. */
const FORMAT = 2;
const STATE_FILE = 'state';
const META_FILE = 'template.json';
/** Templates kept in the folder: the newest, plus a few for other configs (sizes, machines) on the same host. */
const KEEP = 3;

/**
 * Everything the saved guest depends on: a template made under other values would restore a different machine
 * (QEMU refuses) or a different guest (wrong kernel, image, memory size). Files are identified by path, size and
 * modification time. Per-sandbox values (sockets, console file, the sandbox id) are left out: they are host-side.
 */
export async function templateKey(spec: VmSpec, config: QemuConfig, binary: string, version: string, accel: string): Promise<string> {
  const file = async (p: string | undefined): Promise<unknown> => {
    if (p === undefined) return null;
    const st = await fs.stat(p);
    return [p, st.size, Math.floor(st.mtimeMs)];
  };
  const identity = {
    format: FORMAT, binary, version, accel, machine: config.machine, cpu: config.cpu_model ?? null, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB,
    kernel: await file(spec.kernel), initrd: await file(spec.initrd), image: await file(spec.image),
    kernelParams: [...spec.kernelParams, ...config.kernel_params], extraArgs: config.extra_args,
    agent: spec.agentChannel.kind === 'virtio-serial' ? ['virtio-serial', spec.agentChannel.name] : [spec.agentChannel.kind],
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * Why a VM with this spec cannot start from a template (undefined: it can). Disks, NICs and virtio-fs devices are
 * added to the restored VM (a NIC's tap backend on the command line, its frontend hot-plugged; the template's RAM is
 * a shared memfd for vhost-user-fs); a vsock channel would keep the template's guest CID, a VFIO device cannot be
 * hot-plugged here.
 */
export function templateObstacle(spec: VmSpec, config: QemuConfig): string | undefined {
  if (config.machine !== 'q35') return `machine ${config.machine} has no hot-plug`;
  if (spec.agentChannel.kind !== 'virtio-serial') return `agent channel ${spec.agentChannel.kind}`;
  const other = spec.devices.find((d) => d.kind === 'vfio');
  if (other) return `a ${other.kind} device (${other.id}) cannot be added to a restored VM yet`;
  if (spec.devices.length > HOTPLUG_PORTS.length) return `${spec.devices.length} devices, more than the ${HOTPLUG_PORTS.length} hot-plug ports`;
  return undefined;
}

/**
 * Hands `file` (opened here, as root) to QEMU under `name` (`getfd`) and returns the `fd:` migration URI: QEMU
 * reads or writes a template's state through it without a right on the template folder and without running a
 * helper (`exec:` is a fork QEMU's seccomp filter denies; docs/adr/0012).
 */
async function migrationUri(qmp: QmpClient, name: string, file: string, flags: 'r' | 'wx'): Promise<string> {
  const fd = openSync(file, flags, 0o600);
  try {
    await qmp.execute('getfd', { fdname: name }, { fd });
  } finally {
    closeSync(fd);
  }
  return `fd:${name}`;
}

/** Saved VMs in a folder, one sub-folder per key: `state` (QEMU's migration stream) and `template.json`. */
export class VmTemplateStore {
  constructor(readonly dir: string) {}

  async find(key: string): Promise<VmTemplateInfo | undefined> {
    try {
      const meta = JSON.parse(await fs.readFile(path.join(this.dir, key, META_FILE), 'utf8')) as { createdAt?: unknown };
      const st = await fs.stat(path.join(this.dir, key, STATE_FILE));
      return { key, dir: path.join(this.dir, key), bytes: st.size, createdAt: typeof meta.createdAt === 'string' ? meta.createdAt : st.mtime.toISOString() };
    } catch {
      return undefined;
    }
  }

  /** Has QEMU (started with `-incoming defer`) load a template's state. */
  async restore(t: VmTemplateInfo, qmp: QmpClient, timeoutMs: number): Promise<void> {
    await qmp.execute('migrate-incoming', { uri: await migrationUri(qmp, 'cella-incoming', path.join(t.dir, STATE_FILE), 'r') });
    await waitIncoming(qmp, timeoutMs);
  }

  /**
   * Save the VM behind `qmp` (paused by the caller) under `key`: QEMU writes its migration stream into a
   * temporary folder that is renamed into place once complete, so a half-written template is never found.
   */
  async save(key: string, qmp: QmpClient, timeoutMs: number): Promise<VmTemplateInfo> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.tmp-${key.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tmp, { mode: 0o700 });
    try {
      await qmp.execute('migrate', { uri: await migrationUri(qmp, 'cella-template', path.join(tmp, STATE_FILE), 'wx') });
      await waitMigration(qmp, timeoutMs);
      const createdAt = new Date().toISOString();
      await fs.writeFile(path.join(tmp, META_FILE), JSON.stringify({ format: FORMAT, key, createdAt }));
      const final = path.join(this.dir, key);
      await fs.rm(final, { recursive: true, force: true });
      await fs.rename(tmp, final);
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await this.prune(key);
    return (await this.find(key))!;
  }

  /** Keep `key` and the KEEP-1 newest others; remove leftovers of interrupted saves. */
  private async prune(key: string): Promise<void> {
    const entries = await fs.readdir(this.dir);
    for (const e of entries.filter((n) => n.startsWith('.tmp-'))) {
      const st = await fs.stat(path.join(this.dir, e)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 3600_000) await fs.rm(path.join(this.dir, e), { recursive: true, force: true });
    }
    const others = (await Promise.all(entries.filter((n) => /^[0-9a-f]{64}$/.test(n) && n !== key).map((n) => this.find(n))))
      .filter((t): t is VmTemplateInfo => t !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const t of others.slice(KEEP - 1)) await fs.rm(t.dir, { recursive: true, force: true });
  }
}

/** Wait until an incoming migration (a template being restored) is loaded: the VM leaves `inmigrate`. */
export async function waitIncoming(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await qmp.execute<{ status: string }>('query-status');
    if (s.status !== 'inmigrate') return;
    if (Date.now() > deadline) throw QemuErrors.HYPERVISOR_TIMEOUT.create('Restoring the VM template took too long', { details: { timeoutMs } });
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Wait until QEMU reports the outgoing migration (a template being saved) completed; its error text otherwise. */
export async function waitMigration(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (s.status === 'completed') return;
    if (s.status === 'failed' || s.status === 'cancelled') {
      throw QemuErrors.HYPERVISOR_START.create('Saving or restoring the VM state failed', { details: { status: s.status, error: s['error-desc'] } });
    }
    if (Date.now() > deadline) throw QemuErrors.HYPERVISOR_TIMEOUT.create('Saving or restoring the VM state took too long', { details: { timeoutMs, status: s.status } });
    await new Promise((r) => setTimeout(r, 20));
  }
}
