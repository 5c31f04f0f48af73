// SPDX-License-Identifier: Apache-2.0
/**
 * A pod member's holder (docs/adr/0009): the host process that stands for a container whose bundle makes it a
 * member of another container's pod (CRI annotations). It boots nothing: the pod sandbox's holder adds the
 * container to its VM. This process has the container's own state folder and control socket (start, kill,
 * stats), reports on fd 3 as the holder does, relays the container's stdio through the sandbox's holder once
 * started, forwards the signals it gets, and exits with the container's status (128+n when killed). When the pod
 * sandbox ends under it (its holder exits and the VM goes) the member ends as killed: 137.
 */
import { appendFileSync, promises as fs } from 'node:fs';
import type { Server } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import {
  E, isCellaError, JsonLogger, processStartTime, pumpIn, pumpOut, readBundle, StateStore, type Logger, type SandboxState,
} from '@cella/core';
import { TtrpcServer } from '@cella/core/ttrpc';
import { assertIdFree, checkPodSandbox } from '../pod';
import { errorJson } from '../render/errors';
import { HostTerminal } from '../tty/host-terminal';
import { guardStdio } from '../safe-stdio';
import { reporter } from './child-report';
import { listenControl } from './control-socket';
import { HolderConnection } from './holder-connection';
import { decodeKill, encodeContainerRequest, HOLDER_SERVICE, HolderMethod } from './holder-protocol';

export interface MemberOptions {
  id: string;
  /** The bundle folder (already read and checked by `create`). */
  bundle: string;
  root: string;
  /** The pod sandbox container, and the annotation that named it. */
  sandboxId: string;
  annotation: string;
  consoleSocket?: string;
  debug?: boolean;
  log?: string;
}

/** A member's state.json: runc's fields as every container's, plus the pod sandbox it runs in. */
export type MemberState = SandboxState & { sandboxId: string };

/** The status of a member whose pod sandbox ended under it: its processes went with the VM, as if SIGKILLed. */
export const SANDBOX_GONE_STATUS = 128 + constants.signals.SIGKILL;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const EMPTY = new Uint8Array();
/** Adding a container copies its rootfs into an image and hot-plugs it: slow under TCG, never unbounded. */
const ADD_TIMEOUT_MS = 180_000;
const REMOVE_TIMEOUT_MS = 30_000;

class Member {
  private started = false;
  private exiting = false;
  private control: Server | undefined;

  constructor(
    private readonly opts: MemberOptions, private readonly store: StateStore, private readonly conn: HolderConnection,
    private readonly logger: Logger, private readonly terminal?: HostTerminal,
  ) {}

  private get id(): string { return this.opts.id; }

  async serve(runDir: string): Promise<void> {
    const server = new TtrpcServer();
    server.register(HOLDER_SERVICE, HolderMethod.Start, async () => { await this.start(); return EMPTY; });
    server.register(HOLDER_SERVICE, HolderMethod.Kill, (payload) => { this.kill(decodeKill(payload).signal); return EMPTY; });
    // The VM is the pod's: one of its containers cannot be frozen alone.
    const wholePod = (): never => {
      throw E.NOT_SUPPORTED.create(`container ${this.id} runs in the VM of pod sandbox ${this.opts.sandboxId}: pause or resume the pod sandbox instead`, {
        details: { id: this.id, sandbox: this.opts.sandboxId },
      });
    };
    server.register(HOLDER_SERVICE, HolderMethod.Pause, async () => wholePod());
    server.register(HOLDER_SERVICE, HolderMethod.Resume, async () => wholePod());
    server.register(HOLDER_SERVICE, HolderMethod.Stats, () => this.conn.raw(HolderMethod.Stats, encodeContainerRequest({ containerId: this.id }), 30_000));
    this.control = await listenControl(runDir, server);
  }

  /** Once created: signals are forwarded, and the end of the pod sandbox's holder ends this container. */
  arm(): void {
    for (const s of SIGNALS) process.on(s, () => this.kill(constants.signals[s]));
    this.conn.onClose(() => {
      this.logger.warn('the pod sandbox\'s holder went away', { id: this.id, sandbox: this.opts.sandboxId });
      void this.exit(SANDBOX_GONE_STATUS);
    });
  }

  /** Answers once the guest runs the process (so an exec right after finds it), then relays until it exits. */
  private async start(): Promise<void> {
    if (this.started || this.exiting) throw E.SANDBOX_BUSY.create('cannot start an already running container', { details: { id: this.id } });
    this.started = true;
    try {
      await this.conn.startContainer(this.id);
    } catch (err) {
      void this.exit(255);
      throw err;
    }
    await this.patch({ status: 'running' });
    const tty = this.terminal;
    if (tty) await tty.watchSize((s) => this.conn.resize(this.id, '', s.rows, s.columns));
    void this.relay(tty ? tty.io : { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  }

  private async relay(io: { stdin: Readable; stdout: Writable; stderr: Writable }): Promise<void> {
    let status: number;
    try {
      const out = Promise.all([pumpOut(this.conn, 'stdout', this.id, '', io.stdout), pumpOut(this.conn, 'stderr', this.id, '', io.stderr)]);
      out.catch(() => undefined);
      pumpIn(this.conn, this.id, '', io.stdin).catch(() => undefined);
      status = await this.conn.wait(this.id, '');
      await out;
    } catch (err) {
      // The sandbox's holder answers no more: the pod is ending, and its VM with this container's processes.
      this.logger.warn('waiting for the container failed: the pod sandbox is ending', { id: this.id, err });
      status = SANDBOX_GONE_STATUS;
    }
    await this.exit(status);
  }

  /** Before start there is no process to signal: the container ends as if its init was killed (as the holder does). */
  private kill(sig: number): void {
    if (this.exiting) return;
    if (!this.started) { void this.exit(128 + sig); return; }
    this.conn.signal(this.id, '', sig).catch((err: unknown) => this.logger.warn('signal not delivered', { id: this.id, sig, err }));
  }

  /**
   * The container leaves the pod's VM (guest container, devices, storage: the sandbox's holder undoes them), its
   * state folder stays, marked stopped with the status, for `state` and `delete`.
   */
  private async exit(status: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    this.control?.close();
    await this.terminal?.close();
    if (!this.conn.closed) {
      await this.conn.removeContainer(this.id, REMOVE_TIMEOUT_MS)
        .catch((err: unknown) => this.logger.warn('the pod sandbox did not remove the container', { id: this.id, err }));
    }
    this.conn.close();
    await this.patch({ status: 'stopped', exitStatus: status }).catch(() => undefined);
    process.exit(status);
  }

  private async patch(p: Partial<MemberState>): Promise<void> {
    const cur = await this.store.read<MemberState>(this.id);
    await this.store.write(this.id, { ...cur, ...p });
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as MemberOptions;
  guardStdio(opts.log, 'cella-member-holder');
  const report = reporter();
  // The holder's stdout/stderr belong to the container: its own log goes to --log (or nowhere).
  const logger = new JsonLogger((line) => { if (opts.log) appendFileSync(opts.log, `${line}\n`); }, opts.debug ? 'debug' : 'warn', { name: 'cella-member-holder' });
  const store = new StateStore(opts.root);
  let terminal: HostTerminal | undefined;
  let conn: HolderConnection | undefined;
  let made = false;
  let added = false;
  try {
    const sandboxRunDir = await checkPodSandbox(store, { sandboxId: opts.sandboxId, annotation: opts.annotation }, opts.id);
    const bundle = await readBundle(opts.bundle);
    await assertIdFree(store, opts.id);
    conn = await HolderConnection.open(sandboxRunDir).catch((cause: unknown) => {
      throw E.SANDBOX_BUSY.create(`annotation ${opts.annotation} names pod sandbox ${opts.sandboxId}, whose holder is not reachable`, {
        cause, details: { annotation: opts.annotation, sandboxId: opts.sandboxId, id: opts.id },
      });
    });
    // The master is sent before anything is made: a socket nobody listens on fails the create cleanly.
    terminal = opts.consoleSocket === undefined ? undefined : await HostTerminal.open(opts.consoleSocket);
    const paths = await store.create(opts.id).catch(async (err: unknown) => {
      if (isCellaError(err, E.SANDBOX_EXISTS.code)) await assertIdFree(store, opts.id);
      throw err;
    });
    made = true;
    await fs.mkdir(paths.runDir, { recursive: true, mode: 0o700 });
    const state: MemberState = {
      version: 1, id: opts.id, ociVersion: bundle.spec.ociVersion, bundle: bundle.dir, rootfs: bundle.rootfs, status: 'creating',
      createdAt: new Date().toISOString(), owner: { pid: process.pid, startTime: processStartTime(process.pid) },
      annotations: bundle.spec.annotations, sandboxId: opts.sandboxId,
    };
    await store.write(opts.id, state);
    await conn.addContainer(opts.id, bundle.dir, ADD_TIMEOUT_MS);
    added = true;
    const member = new Member(opts, store, conn, logger, terminal);
    await member.serve(paths.runDir);
    await store.write(opts.id, { ...state, status: 'created' });
    member.arm();
    await report.send({ ok: true, pid: process.pid });
  } catch (err) {
    logger.error('create failed', { err });
    if (added) await conn?.removeContainer(opts.id, REMOVE_TIMEOUT_MS).catch(() => undefined);
    conn?.close();
    if (made) await store.remove(opts.id).catch(() => undefined);
    await terminal?.close(0);
    await report.send({ ok: false, error: errorJson(err).error as Record<string, unknown> });
    process.exit(1);
  }
}

void main();
