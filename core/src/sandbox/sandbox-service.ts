// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isCellaError } from '../errors/cella-error';
import { E } from '../errors/codes';
import type { Logger } from '../log/logger';
import type { Bundle } from '../oci/bundle';
import { guestOciVersion } from '../oci/oci-version';
import type { OciSpec } from '../oci/spec';
import type { GuestAgent, GuestAgentFactory, GuestImage } from '../ports/guest-agent';
import type { Hypervisor, HypervisorFactory, VmExit, VmTemplateInfo } from '../ports/hypervisor';
import type { NetworkAttachment, NetworkDriver, NetworkDriverFactory } from '../ports/network-driver';
import type { SandboxContext } from '../ports/sandbox-context';
import type { PreparedStorage, StorageDriver, StorageDriverFactory } from '../ports/storage-driver';
import type { VmDevice } from '../ports/vm-spec';
import { FileJournal } from '../state/file-journal';
import type { Journal, UndoHandler } from '../state/journal';
import { readTail } from '../state/file-tail';
import { isAlive, processStartTime } from '../state/proc';
import type { StateStore } from '../state/state-store';
import type { SandboxState } from './sandbox-state';
import { pumpIn, pumpOut } from './stdio-relay';
import { vmSpecOf } from './vm-spec-of';

/** The plugins a sandbox is made with, resolved from the DI container. */
export interface SandboxDrivers {
  hypervisor: HypervisorFactory;
  agent: GuestAgentFactory;
  image: GuestImage;
  /** Delivers each container's rootfs, and its volumes unless `volumes` is given. */
  storage: StorageDriverFactory;
  /** Delivers the spec's mounts when config gives the volumes role its own plugin. */
  volumes?: StorageDriverFactory;
  network?: NetworkDriverFactory;
}

export interface SandboxEnv {
  store: StateStore;
  logger: Logger;
  undoHandlers: readonly UndoHandler[];
  /**
   * Undo handlers of installed plugins the config does not select (a journal written under another
   * config, e.g. a different network plugin): asked for only when a journal holds a type none of
   * `undoHandlers` knows.
   */
  moreUndoHandlers?: () => Promise<readonly UndoHandler[]>;
  defaults: { vcpus: number; memoryMiB: number; bootTimeoutMs: number };
}

export interface RunIo { stdin?: Readable; stdout: Writable; stderr: Writable }

export interface RunControl {
  abort?: AbortSignal;
  onSignal?(cb: (sig: number) => void): void;
  /**
   * Called (and awaited) once the container's process runs, before its stdio is relayed: `resize` sets the
   * window size of its terminal (process.terminal), e.g. the caller's size now and on each SIGWINCH.
   */
  onStarted?(resize: (rows: number, columns: number) => Promise<void>): Promise<void> | void;
}

/** The live parts of one sandbox while a command holds it. */
export type SandboxHandle = Live;
interface Live {
  ctx: SandboxContext;
  journal: FileJournal;
  hypervisor?: Hypervisor;
  agent?: GuestAgent;
  storage?: StorageDriver;
  /** The volumes role's driver, when config selects one apart from `storage`. */
  volumes?: StorageDriver;
  network?: NetworkDriver;
  /** Containers added to the running sandbox (addContainer), with the devices hot-plugged for each. */
  added: Map<string, { devices: VmDevice[]; created: boolean }>;
  vmDied: Promise<never>;
  /** `process`: the journalled process whose death was seen (QEMU's own exit event names none). */
  onVmDied(exit: VmExit, process?: string): void;
  /** Polls the journalled processes (QEMU, virtiofsd) while the sandbox lives; cleared by teardown. */
  watchdog?: NodeJS.Timeout;
  /** Set once the VM or a process it needs died: teardown then asks the guest nothing (it may never answer). */
  broken?: boolean;
}

/** How often the watchdog looks at the sandbox's processes: well inside the 2 s in which `state` must be true. */
const WATCH_INTERVAL_MS = 250;

const SIGPIPE = 13;
/** The status of a container whose process (or VM) was killed: 128 + SIGKILL, as a shell reports it. */
export const KILLED_STATUS = 137;

/** Runs the data flow of ARCHITECTURE.md: bundle → state → storage → network → VM → agent → container → teardown. */
export class SandboxService {
  constructor(private readonly drivers: SandboxDrivers, private readonly env: SandboxEnv) {}

  /**
   * `cella run`: create the sandbox, run the bundle's process with stdio relayed, tear everything down.
   * Resolves with the container's exit status. `control.abort` stops a sandbox that is still booting (the
   * caller's SIGINT before the container runs); `control.onSignal` forwards signals once the container runs.
   */
  async run(id: string, bundle: Bundle, io: RunIo, control: RunControl = {}): Promise<number> {
    await this.collectStale();
    const live = await this.create(id, bundle, control);
    let failure: unknown;
    try {
      control.abort?.throwIfAborted();
      return await this.startAndWait(live, io, control);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      if (io.stdin) { io.stdin.removeAllListeners('data'); io.stdin.pause(); }
      await this.teardown(live, failure !== undefined);
    }
  }

  /**
   * Make the sandbox and create its container, stopping before the user process runs (OCI `create`).
   * On failure everything made so far is undone and the error (a VM death explained as such) is thrown.
   */
  async create(id: string, bundle: Bundle, control: RunControl = {}): Promise<SandboxHandle> {
    const live = await this.open(id, bundle);
    try {
      await this.boot(live, bundle, control.abort);
      return live;
    } catch (err) {
      const failure = await explain(live, err);
      await this.teardown(live, true);
      throw failure;
    }
  }

  /** Run the created container's process, relay its stdio, and resolve with its exit status. */
  async startAndWait(live: SandboxHandle, io: RunIo, control: RunControl = {}): Promise<number> {
    await this.start(live);
    await control.onStarted?.((rows, columns) => live.agent!.resizeTty(live.ctx.id, '', rows, columns));
    return this.relayAndWait(live, io, control);
  }

  /** Run the created container's process (OCI `start`): resolves once the guest runs it. */
  async start(live: SandboxHandle): Promise<void> {
    try {
      // Raced with the VM's death (virtiofsd's too): a start must fail at once, not after the call's timeout.
      await Promise.race([live.agent!.startContainer(live.ctx.id), live.vmDied]);
      await this.setStatus(live, 'running');
    } catch (err) {
      throw await explain(live, err);
    }
  }

  /** Freeze the whole VM (OCI `pause`): the container and the guest stop running until `resume`. */
  async pause(live: SandboxHandle): Promise<void> {
    await live.hypervisor!.pause();
    await this.setStatus(live, 'paused');
  }

  async resume(live: SandboxHandle): Promise<void> {
    await live.hypervisor!.resume();
    await this.setStatus(live, 'running');
  }

  /** Relay the started container's stdio and resolve with its exit status (signals forwarded meanwhile). */
  async relayAndWait(live: SandboxHandle, io: RunIo, control: RunControl = {}): Promise<number> {
    const id = live.ctx.id;
    try {
      const agent = live.agent!;
      control.onSignal?.((sig) => { agent.signal(id, '', sig).catch(() => undefined); });
      // As under runc, a container whose output reader went away learns it: its writes would fail with
      // EPIPE and raise SIGPIPE. Ours go to the guest, so the host's EPIPE becomes a SIGPIPE sent to it.
      const onPipeGone = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EPIPE') agent.signal(id, '', SIGPIPE).catch(() => undefined);
      };
      io.stdout.once('error', onPipeGone);
      io.stderr.once('error', onPipeGone);
      const outDone = Promise.all([pumpOut(agent, 'stdout', id, '', io.stdout), pumpOut(agent, 'stderr', id, '', io.stderr)]);
      // Awaited below, after the wait; a lost connection must not become an unhandled rejection meanwhile.
      outDone.catch(() => undefined);
      if (io.stdin) pumpIn(agent, id, '', io.stdin).catch(() => undefined);
      try {
        const status = await Promise.race([agent.wait(id, ''), live.vmDied]);
        await Promise.race([outDone, live.vmDied]);
        return status;
      } finally {
        io.stdout.off('error', onPipeGone);
        io.stderr.off('error', onPipeGone);
      }
    } catch (err) {
      throw await explain(live, err);
    }
  }

  /**
   * Undo everything the sandbox made. With `keepState` the state folder stays, marked stopped with the exit
   * status, for `state` and `delete` (OCI); otherwise it is removed too.
   */
  async finish(live: SandboxHandle, failed: boolean, keepState?: { exitStatus: number }): Promise<void> {
    await this.teardown(live, failed, keepState);
  }

  /** The configured undo handlers, plus the other installed plugins' when the journal needs them. */
  private async handlersFor(journal: Journal): Promise<readonly UndoHandler[]> {
    const known = new Set(this.env.undoHandlers.map((h) => h.type));
    if (journal.entries().every((e) => known.has(e.type)) || !this.env.moreUndoHandlers) return this.env.undoHandlers;
    return [...this.env.undoHandlers, ...(await this.env.moreUndoHandlers())];
  }

  /**
   * Make a VM template (`cella image build` with templates on): boot a VM with no sandbox devices, wait for its
   * agent, disconnect, and have the hypervisor save it. The VM's state folder lives under the root while it runs
   * (journalled like any sandbox) and is removed after.
   */
  async buildVmTemplate(): Promise<VmTemplateInfo> {
    const live = await this.open(`cella-template-${randomBytes(4).toString('hex')}`);
    const { ctx } = live;
    let failed = true;
    try {
      const hypervisor = (live.hypervisor = this.drivers.hypervisor(ctx));
      if (!(await hypervisor.capabilities()).templates || !hypervisor.saveTemplate) {
        throw E.NOT_SUPPORTED.create('The hypervisor plugin has VM templates off or cannot make them', { hint: 'Turn them on in the hypervisor plugin\'s options (QEMU: vm_template = true).' });
      }
      const boot = await this.drivers.image.boot(ctx);
      hypervisor.onDidExit((exit) => { if (!exit.expected) live.onVmDied(exit); });
      await hypervisor.start(vmSpecOf(ctx, boot, [], { forTemplate: true }));
      const agent = this.drivers.agent(ctx);
      const died = new AbortController();
      live.vmDied.catch(() => died.abort());
      await Promise.race([agent.connect(boot.agentChannel, { timeoutMs: this.env.defaults.bootTimeoutMs, signal: died.signal }), live.vmDied]);
      agent.close();
      const saved = await hypervisor.saveTemplate();
      failed = false;
      return saved;
    } catch (err) {
      throw await explain(live, err);
    } finally {
      await this.teardown(live, failed);
    }
  }

  /** Remove a sandbox from its journal alone (after a crash, or `delete --force`). */
  async forceDelete(id: string): Promise<void> {
    if (!(await this.env.store.exists(id))) throw E.SANDBOX_NOT_FOUND.create('The container does not exist', { details: { id } });
    // A concurrent delete that got the lock first removed it all: the sandbox is gone, as asked.
    const lock = await this.env.store.lock(id).catch((err: unknown) => {
      if (isCellaError(err, E.SANDBOX_NOT_FOUND.code)) return undefined;
      throw err;
    });
    if (!lock) return;
    try {
      await this.unwindJournal(id);
      // Removed under the lock: a waiting delete then finds the sandbox gone instead of half-removed.
      await this.env.store.remove(id);
    } finally {
      await lock.release();
    }
  }

  private async unwindJournal(id: string): Promise<void> {
    const journal = await FileJournal.open(this.env.store.paths(id).stateDir);
    const failures = await journal.unwind(await this.handlersFor(journal), this.env.logger.child({ sandbox: id }));
    if (failures.length > 0) {
      throw E.TEARDOWN.create('Some resources of the sandbox could not be removed', { cause: failures[0], details: { id, failures: failures.map((f) => f.message) } });
    }
  }

  /**
   * Sandboxes whose owner (holder or foreground `cella run`) died have what they made undone from their
   * journals, and are marked stopped. They stay listed until `delete` (issue #10 item 7: runc keeps a stopped
   * container until it is deleted, and another id's create must not make it vanish). Returns the ids stopped.
   */
  async collectStale(): Promise<string[]> {
    const stopped: string[] = [];
    const dead = (st: SandboxState | undefined): st is SandboxState => st !== undefined && st.status !== 'stopped' && !isAlive(st.owner.pid, st.owner.startTime);
    for (const id of await this.env.store.list()) {
      if (!dead(await this.env.store.read<SandboxState>(id).catch(() => undefined))) continue;
      const lock = await this.env.store.lock(id, 2000).catch(() => undefined);
      if (!lock) continue;
      try {
        // Looked at again under the lock: a delete may have gone first.
        const st = await this.env.store.read<SandboxState>(id).catch(() => undefined);
        if (!dead(st)) continue;
        this.env.logger.info('stopping a sandbox whose command died', { sandbox: id, owner: st.owner.pid });
        await this.unwindJournal(id);
        await this.env.store.write(id, { ...st, status: 'stopped', exitStatus: st.exitStatus ?? KILLED_STATUS, vm: undefined });
        stopped.push(id);
      } catch (err) {
        this.env.logger.warn('stale sandbox not stopped', { sandbox: id, err });
      } finally {
        await lock.release();
      }
    }
    return stopped;
  }

  /** `bundle` is absent for a VM made to be saved as a template (no container). */
  private async open(id: string, bundle?: Bundle): Promise<Live> {
    const paths = await this.env.store.create(id);
    const journal = await FileJournal.open(paths.stateDir);
    if (!paths.runDir.startsWith(paths.stateDir)) await journal.record('path', 'core', 'run folder', { path: paths.runDir });
    await fs.mkdir(paths.runDir, { recursive: true, mode: 0o700 });
    const { defaults } = this.env;
    const ctx: SandboxContext = {
      id, stateDir: paths.stateDir, runDir: paths.runDir, journal,
      logger: this.env.logger.child({ sandbox: id }), vcpus: defaults.vcpus, memoryMiB: defaults.memoryMiB,
    };
    const state: SandboxState = {
      version: 1, id, ociVersion: bundle?.spec.ociVersion ?? '', bundle: bundle?.dir ?? '', rootfs: bundle?.rootfs ?? '', status: 'creating',
      createdAt: new Date().toISOString(), owner: { pid: process.pid, startTime: processStartTime(process.pid) }, annotations: bundle?.spec.annotations,
    };
    await this.env.store.write(id, state);
    let onVmDied: Live['onVmDied'] = () => undefined;
    const vmDied = new Promise<never>((_, reject) => {
      // The console's last lines are read now: teardown removes the file (issue #10 item 11).
      onVmDied = (exit, proc) => reject(E.VM_DIED.create(proc ? `The sandbox's ${proc} process died unexpectedly` : 'The VM died unexpectedly', {
        details: { id, process: proc, code: exit.code, signal: exit.signal, consoleTail: lastLines(readTail(join(paths.runDir, 'console.log')), 20) },
      }));
    });
    vmDied.catch(() => undefined);
    const live: Live = { ctx, journal, vmDied, onVmDied: (exit, proc) => { live.broken = true; onVmDied(exit, proc); }, added: new Map() };
    return live;
  }

  /** Every step checks `abort` first, so an interrupted boot stops before it makes anything more. */
  private async boot(live: Live, bundle: Bundle, abort?: AbortSignal): Promise<void> {
    const { ctx } = live;
    const id = ctx.id;
    abort?.throwIfAborted();
    const storage = await this.prepareStorage(live, id, bundle);
    let net: NetworkAttachment = { devices: [], interfaces: [], routes: [], neighbors: [] };
    const netns = bundle.spec.linux?.namespaces?.find((n) => n.type === 'network')?.path;
    if (netns && this.drivers.network) {
      live.network = this.drivers.network(ctx);
      net = await live.network.attach(netns);
    }
    abort?.throwIfAborted();
    const boot = await this.drivers.image.boot(ctx);
    live.hypervisor = this.drivers.hypervisor(ctx);
    live.hypervisor.onDidExit((exit) => { if (!exit.expected) live.onVmDied(exit); });
    const vm = await live.hypervisor.start(vmSpecOf(ctx, boot, [...storage.devices, ...net.devices]));
    watchProcesses(live);
    await this.patchState(id, { vm: { pid: vm.pid, accel: vm.accel } });
    abort?.throwIfAborted();
    live.agent = this.drivers.agent(ctx);
    const connectAbort = new AbortController();
    live.vmDied.catch(() => connectAbort.abort());
    const onAbort = (): void => connectAbort.abort(abort?.reason);
    abort?.addEventListener('abort', onAbort, { once: true });
    const info = await Promise.race([
      live.agent.connect(boot.agentChannel, { timeoutMs: this.env.defaults.bootTimeoutMs, signal: connectAbort.signal })
        .finally(() => abort?.removeEventListener('abort', onAbort)),
      live.vmDied,
    ]);
    ctx.logger.info('guest agent ready', { agent: info.agentVersion, kernel: info.kernelRelease, accel: vm.accel, template: vm.restoredFrom });
    if (vm.restoredFrom !== undefined) {
      // Every VM restored from one template wakes with its clock and its kernel's random state: set the one, reseed the other.
      await live.agent.setGuestTime(Date.now());
      await live.agent.reseedRandom(randomBytes(64));
    }
    abort?.throwIfAborted();
    await live.agent.createSandbox({
      sandboxId: id, hostname: bundle.spec.hostname ?? id, interfaces: net.interfaces, routes: net.routes,
      neighbors: net.neighbors, storages: [],
    });
    await Promise.race([live.agent.createContainer({ containerId: id, spec: guestSpec(bundle, storage), storages: storage.storages }), live.vmDied]);
    await this.setStatus(live, 'created');
  }

  /**
   * The container's storage from the configured drivers: one driver for the rootfs and the volumes, or the
   * rootfs from `storage` and the spec's mounts from `volumes` (a failure of the second undoes the first).
   */
  private async prepareStorage(live: Live, containerId: string, bundle: Bundle): Promise<PreparedStorage & { guestRootPath: string }> {
    const rootfs = { path: bundle.rootfs, readonly: bundle.spec.root?.readonly === true };
    const mounts = bundle.spec.mounts ?? [];
    const annotations = bundle.spec.annotations;
    live.storage ??= this.drivers.storage(live.ctx);
    const withRoot = (p: PreparedStorage): PreparedStorage & { guestRootPath: string } => {
      if (p.guestRootPath === undefined) throw E.INTERNAL.create('The storage plugin gave no guest path for the container rootfs', { details: { containerId } });
      return { ...p, guestRootPath: p.guestRootPath };
    };
    if (!this.drivers.volumes) return withRoot(await live.storage.prepare({ containerId, rootfs, mounts, annotations }));
    live.volumes ??= this.drivers.volumes(live.ctx);
    const root = withRoot(await live.storage.prepare({ containerId, rootfs, mounts: [], annotations }));
    try {
      const vols = await live.volumes.prepare({ containerId, mounts, annotations });
      return { devices: [...root.devices, ...vols.devices], storages: [...root.storages, ...vols.storages], guestRootPath: root.guestRootPath, guestMounts: vols.guestMounts };
    } catch (err) {
      await live.storage.release(containerId).catch((e: unknown) => live.ctx.logger.warn('undoing the rootfs of a failed container failed', { containerId, err: e }));
      throw err;
    }
  }

  /**
   * Add a container to the running sandbox (a pod's second container): its storage is prepared by the configured
   * drivers, the devices they need are hot-plugged, and the container is created in the guest, stopped before its
   * process runs (`startContainer` runs it; the agent's wait/read/signal calls work with its id). On failure what
   * was made for it is undone and the sandbox with its other containers goes on.
   * Hot-plugged devices are not journalled: they live and die with the VM, which is.
   */
  async addContainer(live: SandboxHandle, containerId: string, bundle: Bundle): Promise<void> {
    if (containerId === live.ctx.id || live.added.has(containerId)) {
      throw E.SANDBOX_EXISTS.create('The sandbox has a container with this id already', { details: { sandbox: live.ctx.id, containerId } });
    }
    const hypervisor = live.hypervisor;
    const agent = live.agent;
    if (!hypervisor || !agent) throw E.SANDBOX_BUSY.create('The sandbox is not running', { details: { sandbox: live.ctx.id, containerId } });
    const storage = await this.prepareStorage(live, containerId, bundle);
    const entry = { devices: [] as VmDevice[], created: false };
    live.added.set(containerId, entry);
    try {
      if (storage.devices.length > 0 && !(await hypervisor.capabilities()).hotplug) {
        throw E.NOT_SUPPORTED.create('The hypervisor cannot add devices to a running VM', { details: { sandbox: live.ctx.id, containerId, devices: storage.devices.map((d) => d.id) } });
      }
      for (const d of storage.devices) {
        await Promise.race([hypervisor.hotplug(d), live.vmDied]);
        entry.devices.push(d);
      }
      await Promise.race([agent.createContainer({ containerId, spec: guestSpec(bundle, storage), storages: storage.storages }), live.vmDied]);
      entry.created = true;
    } catch (err) {
      const failure = await explain(live, err);
      await this.removeContainer(live, containerId).catch((e: unknown) => live.ctx.logger.warn('undoing a failed addContainer failed', { containerId, err: e }));
      throw failure;
    }
  }

  /** Run the process of a container made by `addContainer`. */
  async startContainer(live: SandboxHandle, containerId: string): Promise<void> {
    if (!live.added.get(containerId)?.created) throw E.SANDBOX_NOT_FOUND.create('The sandbox has no such added container', { details: { sandbox: live.ctx.id, containerId } });
    try {
      await Promise.race([live.agent!.startContainer(containerId), live.vmDied]);
    } catch (err) {
      throw await explain(live, err);
    }
  }

  /**
   * Remove a container made by `addContainer`: the guest removes it (killing its processes and unmounting its
   * storage), its devices are unplugged, and the storage drivers undo what they made for it. Idempotent.
   */
  async removeContainer(live: SandboxHandle, containerId: string): Promise<void> {
    const entry = live.added.get(containerId);
    if (!entry) return;
    if (entry.created) {
      await Promise.race([live.agent!.removeContainer(containerId), live.vmDied]);
      entry.created = false;
    }
    while (entry.devices.length > 0) {
      await Promise.race([live.hypervisor!.unplug(entry.devices[entry.devices.length - 1]!.id), live.vmDied]);
      entry.devices.pop();
    }
    await live.volumes?.release(containerId);
    await live.storage?.release(containerId);
    live.added.delete(containerId);
  }

  private async setStatus(live: Live, status: SandboxState['status']): Promise<void> {
    await this.patchState(live.ctx.id, { status });
  }

  private async patchState(id: string, patch: Partial<SandboxState>): Promise<void> {
    const cur = await this.env.store.read<SandboxState>(id);
    await this.env.store.write(id, { ...cur, ...patch });
  }

  /** Undo everything, newest first; the journal catches what the live objects did not undo. */
  private async teardown(live: Live, failed: boolean, keepState?: { exitStatus: number }): Promise<void> {
    const { ctx } = live;
    clearInterval(live.watchdog);
    const quiet = async (what: string, f: () => Promise<unknown> | undefined): Promise<void> => {
      try { await f(); } catch (err) { if (!failed) ctx.logger.warn(`${what} failed during teardown`, { err }); }
    };
    // A broken sandbox's guest may never answer (virtiofsd gone): its VM is stopped at once instead.
    const agentOk = live.agent !== undefined && live.broken !== true;
    if (live.agent && !agentOk) live.agent.close();
    if (agentOk) {
      await quiet('removeContainer', () => withTimeout(live.agent!.removeContainer(ctx.id), 5000));
      await quiet('destroySandbox', () => withTimeout(live.agent!.destroySandbox(), 3000));
      live.agent!.close();
    }
    await quiet('hypervisor stop', () => live.hypervisor?.stop({ force: !agentOk || failed }));
    await quiet('network detach', () => live.network?.detach());
    await quiet('volumes cleanup', () => live.volumes?.cleanup());
    await quiet('storage cleanup', () => live.storage?.cleanup());
    const failures = await live.journal.unwind(await this.handlersFor(live.journal), ctx.logger);
    if (failures.length > 0) {
      ctx.logger.error('teardown left resources behind; `cella delete --force` retries', { err: failures[0] });
      return;
    }
    if (keepState) await this.patchState(ctx.id, { status: 'stopped', exitStatus: keepState.exitStatus, vm: undefined });
    else await this.env.store.remove(ctx.id);
  }
}

/**
 * Invariant (b) of docs/architecture.md: when any process the sandbox journalled (QEMU, virtiofsd) dies, the
 * sandbox is dead. QEMU's exit is also seen as its parent's child event; virtiofsd's is not (and a VM whose file
 * server is gone hangs every guest call touching its files), so every journalled process is polled.
 */
function watchProcesses(live: Live): void {
  clearInterval(live.watchdog);
  live.watchdog = setInterval(() => {
    for (const e of live.journal.entries()) {
      const d = e.data as { name?: unknown; pid?: unknown; startTime?: unknown };
      if (e.type !== 'process' || typeof d.pid !== 'number' || typeof d.startTime !== 'string') continue;
      if (isAlive(d.pid, d.startTime)) continue;
      clearInterval(live.watchdog);
      live.onVmDied({ expected: false, code: null, signal: null }, typeof d.name === 'string' ? d.name : e.label);
      return;
    }
  }, WATCH_INTERVAL_MS);
  live.watchdog.unref();
}

function lastLines(text: string, n: number): string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length === 0 ? undefined : lines.slice(-n).join('\n');
}

/** The bundle's spec as the guest sees it: root and mounts at the guest paths the storage drivers chose, a version its crun takes. */
function guestSpec(bundle: Bundle, storage: PreparedStorage & { guestRootPath: string }): OciSpec {
  const spec: OciSpec = structuredClone(bundle.spec);
  spec.ociVersion = guestOciVersion(spec.ociVersion);
  spec.root = { ...spec.root!, path: storage.guestRootPath };
  spec.mounts = storage.guestMounts;
  return spec;
}

/** A lost agent connection is usually the VM dying: report the VM's death, which says more. */
async function explain(live: Live, err: unknown): Promise<unknown> {
  if (isCellaError(err, E.VM_DIED.code) || live.hypervisor === undefined) return err;
  let t: NodeJS.Timeout | undefined;
  const died = await Promise.race([
    live.vmDied.then(() => undefined, (e: unknown) => e),
    new Promise<undefined>((r) => { t = setTimeout(() => r(undefined), 1000); }),
  ]);
  clearTimeout(t);
  return died ?? err;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<undefined>((r) => { t = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(t));
}

export function isVmDied(err: unknown): boolean {
  return isCellaError(err, E.VM_DIED.code);
}
