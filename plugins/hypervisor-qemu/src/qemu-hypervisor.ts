// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import {
  processStartTime,
  type Hypervisor, type HypervisorCapabilities, type Logger, type SandboxContext, type VmDevice, type VmExit, type VmInfo, type VmSpec,
  type VmTemplateInfo,
} from '@cella/core';
import type { Disposable } from '@cella/core/di';
import { confinedCommand } from '@cella/core/process';
import { BoundedFileLog } from './bounded-log';
import { accelCacheFile, cachedAccel, probeAccel } from './kvm-probe';
import { kvmDeviceProblem, qemuVersion, resolveQemuBinary } from './qemu-binary';
import { buildQemuArgs, netBackendArgs } from './qemu-command-line';
import { resolveQemuConfig, type QemuConfig } from './qemu-config';
import { QemuDisks } from './qemu-disks';
import { QemuErrors } from './qemu-errors';
import { ChildFds, fileExists, mapNetFds, openQemuHandles } from './qemu-process';
import { deviceGroups, vmmUser } from './qemu-user';
import { QmpClient } from './qmp-client';
import { checkVmSpec } from './qemu-spec-check';
import { templateKey, templateObstacle, VmTemplateStore } from './vm-template';

const PLUGIN_ID = 'hypervisor.qemu';
/** From spawn to a QMP answer: QEMU opens its QMP socket before the guest runs, so this is generous. */
const QMP_CONNECT_TIMEOUT_MS = 30_000;
/** How long a SIGKILLed QEMU may take to be reaped before stop() gives up. */
const KILL_WAIT_MS = 10_000;
/** Saving or loading a template's state (~130 MiB for 512 MiB of guest RAM; well under a second here). */
const TEMPLATE_IO_TIMEOUT_MS = 60_000;

type State = 'new' | 'starting' | 'running' | 'exited';

/** One warning per process, not per sandbox, when KVM is not usable. */
let warnedAboutTcg = false;

/**
 * The Hypervisor port on QEMU: one VM per instance. QEMU runs in its own session (a Ctrl-C to the CLI
 * does not reach it) and is recorded in the sandbox journal (`process`, with pid and start time)
 * before it is spawned; the entry is completed once QEMU has exited.
 */
export class QemuHypervisor implements Hypervisor {
  private readonly config: QemuConfig;
  private readonly logger: Logger;
  private state: State = 'new';
  private binary: string | undefined;
  private accel: 'kvm' | 'tcg' | undefined;
  private child: ChildProcess | undefined;
  private qmp: QmpClient | undefined;
  private disks: QemuDisks | undefined;
  private journalSeq: number | undefined;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private exit: VmExit | undefined;
  private exitDelivered = false;
  private spawnError: Error | undefined;
  private exited: Promise<void> = Promise.resolve();
  private starting: Promise<unknown> = Promise.resolve();
  private readonly exitListeners = new Set<(exit: VmExit) => void>();
  /** Set when started with `forTemplate`: the key `saveTemplate` stores the VM under. */
  private templateToSave: string | undefined;

  constructor(private readonly sandbox: SandboxContext, config: Partial<QemuConfig>, private readonly paths: { cache: string }) {
    this.config = resolveQemuConfig(config);
    this.logger = sandbox.logger.child({ name: PLUGIN_ID });
  }

  private get cacheFile(): string {
    return accelCacheFile(this.paths.cache);
  }

  private get templates(): VmTemplateStore {
    return new VmTemplateStore(this.config.vm_template_dir ?? path.join(this.paths.cache, 'vm-templates'));
  }

  async capabilities(): Promise<HypervisorCapabilities> {
    return {
      hotplug: this.config.machine === 'q35',
      pause: true,
      vsock: await fileExists('/dev/vhost-vsock'),
      sharedFs: true,
      accel: this.accel ?? (await this.expectedAccel()),
      templates: this.config.vm_template && this.config.machine === 'q35',
    };
  }

  async findTemplate(spec: VmSpec): Promise<VmTemplateInfo | undefined> {
    if (!this.config.vm_template || templateObstacle(spec, this.config)) return undefined;
    const binary = await resolveQemuBinary(this.config.path);
    const accel = this.config.accel !== 'auto' ? this.config.accel : (await this.expectedAccel());
    if (accel === 'auto') return undefined;
    return this.templates.find(await templateKey(spec, this.config, binary, await qemuVersion(binary), accel));
  }

  async saveTemplate(): Promise<VmTemplateInfo> {
    const qmp = this.running('saveTemplate');
    const key = this.templateToSave;
    if (key === undefined) {
      throw QemuErrors.HYPERVISOR_STATE.create('Only a VM started for a template (forTemplate) can be saved as one.', { details: { sandbox: this.sandbox.id } });
    }
    await qmp.execute('stop');
    const saved = await this.templates.save(key, qmp, TEMPLATE_IO_TIMEOUT_MS);
    this.logger.info('VM template saved', { key, bytes: saved.bytes, dir: saved.dir });
    await this.stop({ force: false });
    return saved;
  }

  /** Before start: the configured accel, or what /dev/kvm and the probe cache say (`auto` until probed). */
  private async expectedAccel(): Promise<string> {
    if (this.config.accel !== 'auto') return this.config.accel;
    if (await kvmDeviceProblem()) return 'tcg';
    try {
      return (await cachedAccel(this.cacheFile, await qemuVersion(await resolveQemuBinary(this.config.path))))?.accel ?? 'auto';
    } catch {
      return 'auto';
    }
  }

  start(spec: VmSpec): Promise<VmInfo> {
    if (this.state !== 'new') {
      return Promise.reject(QemuErrors.HYPERVISOR_STATE.create('The VM was started already.', { details: { state: this.state } }));
    }
    this.state = 'starting';
    const started = this.doStart(spec);
    this.starting = started.catch(() => undefined);
    return started;
  }

  private async doStart(spec: VmSpec): Promise<VmInfo> {
    let stderr: BoundedFileLog | undefined;
    let console: BoundedFileLog | undefined;
    let spawned = false;
    try {
      checkVmSpec(spec, this.config.machine);
      const binary = (this.binary = await resolveQemuBinary(this.config.path));
      const version = await qemuVersion(binary);
      const accel = (this.accel = await this.resolveAccel(binary, spec));
      const qmpSocket = path.join(spec.runDir, 'qmp.sock');
      const hostDevices = await blockDevicePaths(spec);
      const template = await this.templateFor(spec, binary, version, accel);
      const user = this.config.rootless ? await vmmUser(this.config.user) : undefined;
      await fs.mkdir(spec.runDir, { recursive: true });
      const fds = new ChildFds();
      const mapped = mapNetFds(spec, fds);
      // Restored: the VM is made without the sandbox's devices (as the template was), which are hot-plugged
      // while it is still paused (-S), before the guest runs on.
      const onCommandLine = template ? { ...mapped.spec, devices: [] } : mapped.spec;
      let spawnedQemu: { child: ChildProcess; abort: AbortController };
      let seq: number;
      try {
        const args = buildQemuArgs(onCommandLine, {
          machine: this.config.machine, accel, cpuModel: this.config.cpu_model,
          handles: openQemuHandles(onCommandLine, qmpSocket, fds), seccompSandbox: this.config.seccomp_sandbox,
          extraArgs: this.config.extra_args, kernelParams: this.config.kernel_params, isHostDevice: (p) => hostDevices.has(p),
          // A template's RAM (and so a restored VM's) is a shared memfd: virtio-fs can be added after the restore.
          sharedMemory: template !== undefined || spec.forTemplate === true,
        });
        if (template) {
          for (const d of mapped.spec.devices) if (d.kind === 'net') args.push(...netBackendArgs(d));
          args.push('-S', '-incoming', 'defer');
        }
        const confinement = user ? { user: { uid: user.uid, gid: user.gid, groups: await deviceGroups(accel, spec) } } : {};
        const cmd = confinedCommand(binary, args, confinement);
        stderr = new BoundedFileLog(path.join(spec.runDir, 'qemu.stderr.log'));
        console = new BoundedFileLog(spec.consoleLog, this.config.console_log_max_bytes, 8 * 1024, 'tail');
        const entry = await this.sandbox.journal.record('process', PLUGIN_ID, 'qemu', { name: 'qemu' });
        seq = this.journalSeq = entry.seq;
        this.logger.debug('Starting QEMU', { binary, args, user: user?.name ?? 'root', seccomp: this.config.seccomp_sandbox });
        spawnedQemu = this.spawnQemu(cmd, fds.stdio, stderr, console, spec.runDir);
      } finally {
        // QEMU has its copies (or none is needed any more): the sockets stay served by QEMU alone.
        fds.closeOwned();
      }
      const { child, abort } = spawnedQemu;
      spawned = true;
      if (child.pid === undefined) {
        await this.exited;
        throw this.spawnError;
      }
      const pid = child.pid;
      await this.sandbox.journal.update(seq, { name: 'qemu', pid, startTime: processStartTime(pid) });
      const qmp = await QmpClient.connect(qmpSocket, { timeoutMs: QMP_CONNECT_TIMEOUT_MS, signal: abort.signal, logger: this.logger });
      this.qmp = qmp;
      qmp.on('event', (e) => this.logger.debug('QMP event', { event: e.event, data: e.data }));
      if (template) await this.templates.restore(template, qmp, TEMPLATE_IO_TIMEOUT_MS);
      this.disks = new QemuDisks(qmp, this.config.machine, template ? [] : spec.devices, this.logger);
      if (template) {
        for (const d of mapped.spec.devices) {
          if (d.kind === 'net') await this.disks.addNic(d);
          else if (d.kind === 'fs') await this.disks.addFs(d);
          else await this.disks.add(d);
        }
        await qmp.execute('cont');
      }
      const status = await qmp.execute<{ status: string; running: boolean }>('query-status');
      // The VM no longer needs this process: the runtime decides, with its own handles, how long it stays.
      child.unref();
      (child.stderr as Socket).unref();
      (child.stdout as Socket).unref();
      qmp.unref();
      this.state = 'running';
      this.logger.info(template ? 'VM restored from a template' : 'VM started', { pid, accel, status: status.status, template: template?.key });
      return template ? { pid, accel, version, restoredFrom: template.key } : { pid, accel, version };
    } catch (err) {
      const died = this.exit !== undefined;
      await this.abortStart(stderr, console);
      throw spawned ? this.startError(err, died, stderr!) : err;
    }
  }

  /**
   * The template this start restores: with `vm_template` on, a spec a template can serve, and a template saved for
   * it. With `forTemplate` the VM boots cold and remembers the key it will be saved under.
   */
  private async templateFor(spec: VmSpec, binary: string, version: string, accel: string): Promise<VmTemplateInfo | undefined> {
    if (!this.config.vm_template) return undefined;
    const obstacle = templateObstacle(spec, this.config);
    if (spec.forTemplate) {
      if (obstacle || spec.devices.length > 0) {
        throw QemuErrors.HYPERVISOR_SPEC.create('A VM for a template must have no devices of its own.', { details: { obstacle, devices: spec.devices.map((d) => d.id) } });
      }
      this.templateToSave = await templateKey(spec, this.config, binary, version, accel);
      return undefined;
    }
    if (obstacle) {
      this.logger.debug('Booting without a template', { reason: obstacle });
      return undefined;
    }
    const found = await this.templates.find(await templateKey(spec, this.config, binary, version, accel));
    if (!found) this.logger.info('No VM template for this VM; booting (`cella image build` makes one)');
    return found;
  }

  /**
   * Spawn QEMU (confined: docs/adr/0012) in its own session, so a Ctrl-C to the CLI does not reach it; it still
   * dies with this process (parent-death signal). Its stdout is the guest's serial console, into the bounded
   * `console` log. `abort` fires when it exits (or cannot be spawned).
   */
  private spawnQemu(cmd: { file: string; args: string[] }, fds: number[], stderr: BoundedFileLog, console: BoundedFileLog, runDir: string): { child: ChildProcess; abort: AbortController } {
    // A minimal environment. QEMU's command line names no path of the sandbox any more (it gets fds), so the run
    // folder is in CELLA_RUN_DIR for whoever looks for a sandbox's QEMU (operators, the tests' leak checks).
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CELLA_RUN_DIR: runDir };
    const child = spawn(cmd.file, cmd.args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    child.stdout?.on('data', (chunk: Buffer) => console.write(chunk));
    // After the pipes are drained (exit can come first), not at exit: the console's last lines say why.
    child.once('close', () => console.close());
    const abort = new AbortController();
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        abort.abort();
        void this.onExit(code, signal, stderr).finally(resolve);
      });
      // Node emits no 'exit' when the spawn itself fails.
      child.once('error', (err) => {
        if (child.pid !== undefined) return;
        this.spawnError = err;
        abort.abort();
        resolve();
      });
    });
    return { child, abort };
  }

  private startError(err: unknown, died: boolean, stderr: BoundedFileLog): unknown {
    if (this.spawnError) {
      return QemuErrors.HYPERVISOR_BINARY.create('The QEMU binary cannot be run.', { cause: this.spawnError, details: { path: this.binary ?? this.config.path } });
    }
    const details = { code: this.exit?.code, signal: this.exit?.signal, stderr: stderr.tail(), stderrLog: stderr.file };
    if (died) {
      return QemuErrors.HYPERVISOR_START.create('QEMU exited while the VM was starting.', { details, hint: 'The stderr lines in the details say why; the whole text is in stderrLog.' });
    }
    return QemuErrors.HYPERVISOR_START.create('The VM did not start.', { cause: err, details });
  }

  private async abortStart(stderr: BoundedFileLog | undefined, console: BoundedFileLog | undefined): Promise<void> {
    this.stopRequested = true;
    if (this.child?.pid !== undefined && this.exit === undefined) this.child.kill('SIGKILL');
    await this.exited;
    stderr?.close();
    console?.close();
    this.state = 'exited';
    await this.completeJournal();
  }

  private async resolveAccel(binary: string, spec: VmSpec): Promise<'kvm' | 'tcg'> {
    if (this.config.accel !== 'auto') return this.config.accel;
    const verdict = await probeAccel({
      qemu: binary, kernel: spec.kernel, initrd: spec.initrd, image: spec.image,
      timeoutMs: this.config.kvm_probe_timeout_ms, cacheFile: this.cacheFile, logger: this.logger,
    });
    if (verdict.accel === 'tcg' && !warnedAboutTcg) {
      warnedAboutTcg = true;
      this.logger.warn('KVM is not usable here; using TCG (slower)', { reason: verdict.reason, cached: verdict.cached });
    } else {
      this.logger.debug('Accelerator chosen', { ...verdict });
    }
    return verdict.accel;
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null, stderr: BoundedFileLog): Promise<void> {
    const wasRunning = this.state === 'running';
    this.exit = { expected: this.stopRequested, code, signal };
    this.state = 'exited';
    this.qmp?.close();
    stderr.close();
    if (this.exit.expected) this.logger.info('VM stopped', { code, signal });
    else if (wasRunning) this.logger.warn('The VM exited unexpectedly', { code, signal, stderr: stderr.tail(5, 500) });
    else this.logger.debug('QEMU exited during start', { code, signal });
    await this.completeJournal();
    this.exitDelivered = true;
    for (const listener of [...this.exitListeners]) this.notify(listener, this.exit);
  }

  private async completeJournal(): Promise<void> {
    const seq = this.journalSeq;
    if (seq === undefined) return;
    this.journalSeq = undefined;
    try {
      await this.sandbox.journal.complete(seq);
    } catch (err) {
      this.logger.error('The journal entry of the QEMU process could not be completed', { seq, err });
    }
  }

  stop(options: { force: boolean }): Promise<void> {
    if (options.force && this.stopping && this.exit === undefined) this.child?.kill('SIGKILL');
    this.stopping ??= this.doStop(options.force).catch((err: unknown) => {
      this.stopping = undefined; // let a later stop() try again
      throw err;
    });
    return this.stopping;
  }

  private async doStop(force: boolean): Promise<void> {
    this.stopRequested = true;
    await this.starting;
    if (this.state === 'new' || !this.child) return;
    if (this.exit === undefined) {
      if (force) {
        this.child.kill('SIGKILL');
      } else {
        await this.askToQuit();
        if (!(await this.waitExit(this.config.stop_timeout_ms))) {
          this.logger.warn('QEMU did not quit in time; killing it', { timeoutMs: this.config.stop_timeout_ms });
          this.child.kill('SIGKILL');
        }
      }
      if (!(await this.waitExit(KILL_WAIT_MS))) {
        throw QemuErrors.HYPERVISOR_TIMEOUT.create('QEMU did not exit after SIGKILL.', { details: { pid: this.child.pid, waitedMs: KILL_WAIT_MS } });
      }
    }
    await this.exited;
  }

  /** A graceful `quit` over QMP; SIGTERM when QMP is gone. QEMU may close the socket before it replies. */
  private async askToQuit(): Promise<void> {
    if (this.qmp && !this.qmp.closed) {
      try {
        await this.qmp.execute('quit', undefined, { timeoutMs: Math.max(1000, this.config.stop_timeout_ms) });
        return;
      } catch (err) {
        if (this.qmp.closed) return;
        this.logger.debug('QMP quit failed; sending SIGTERM', { err });
      }
    }
    this.child?.kill('SIGTERM');
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (this.exit !== undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  async pause(): Promise<void> {
    await this.running('pause').execute('stop');
  }

  async resume(): Promise<void> {
    await this.running('resume').execute('cont');
  }

  async hotplug(device: VmDevice): Promise<void> {
    this.running('hotplug');
    await this.disks!.add(device);
  }

  async unplug(deviceId: string): Promise<void> {
    this.running('unplug');
    await this.disks!.remove(deviceId);
  }

  private running(call: string): QmpClient {
    if (this.state !== 'running' || !this.qmp || this.qmp.closed) {
      throw QemuErrors.HYPERVISOR_STATE.create('The VM is not running.', { details: { call, state: this.state } });
    }
    return this.qmp;
  }

  pids(): number[] {
    return (this.state === 'running' || this.state === 'starting') && this.child?.pid !== undefined && this.exit === undefined ? [this.child.pid] : [];
  }

  onDidExit(listener: (exit: VmExit) => void): Disposable {
    this.exitListeners.add(listener);
    // A listener that comes after the exit still hears of it, once.
    const exit = this.exit;
    if (this.exitDelivered && exit) queueMicrotask(() => { if (this.exitListeners.has(listener)) this.notify(listener, exit); });
    return { dispose: () => { this.exitListeners.delete(listener); } };
  }

  private notify(listener: (exit: VmExit) => void, exit: VmExit): void {
    this.exitListeners.delete(listener);
    try {
      listener(exit);
    } catch (err) {
      this.logger.error('An exit listener threw', { err });
    }
  }

  async describe(): Promise<Record<string, unknown>> {
    let binary: string | undefined = this.binary;
    let version: string | undefined;
    try {
      binary ??= await resolveQemuBinary(this.config.path);
      version = await qemuVersion(binary);
    } catch {
      // reported as missing below
    }
    let status: string | undefined;
    if (this.state === 'running' && this.qmp && !this.qmp.closed) {
      status = (await this.qmp.execute<{ status: string }>('query-status', undefined, { timeoutMs: 2000 }).catch(() => undefined))?.status;
    }
    return {
      binary: binary ?? `${this.config.path} (not found)`,
      version,
      machine: this.config.machine,
      accel: this.accel ?? (await this.expectedAccel()),
      pid: this.pids()[0],
      // QEMU's run state (running, paused, …) while the VM runs.
      status,
    };
  }
}

/** Disk paths of the spec that are block devices (QEMU opens those with `host_device`, not `file`). */
async function blockDevicePaths(spec: VmSpec): Promise<Set<string>> {
  const paths = [spec.image, ...spec.devices.map((d) => (d.kind === 'block' ? d.path : undefined))];
  const out = new Set<string>();
  for (const p of paths) {
    if (p && (await fs.stat(p).catch(() => undefined))?.isBlockDevice()) out.add(p);
  }
  return out;
}
