// SPDX-License-Identifier: Apache-2.0
/**
 * The holder: the host process that stands for a container made by `cella create` (docs/adr/0006). It boots the
 * sandbox, reports on fd 3, serves the control socket, relays stdio once started, forwards the signals it gets,
 * and exits with the container's status (128+n when killed), leaving the state folder marked stopped.
 */
import { appendFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { constants } from 'node:os';
import { E, isVmDied, JsonLogger, KILLED_STATUS, readBundle, type Logger, type SandboxHandle, type SandboxService } from '@cella/core';
import { TtrpcServer } from '@cella/core/ttrpc';
import { errorJson } from '../render/errors';
import { guardStdio } from '../safe-stdio';
import { loadRuntime } from '../runtime';
import { makeSandboxService } from '../sandbox';
import { HostTerminal } from '../tty/host-terminal';
import { registerExec } from './holder-exec';
import { registerPod } from './holder-pod';
import { HolderStats } from './holder-stats';
import { reporter } from './child-report';
import { listenControl } from './control-socket';
import { decodeKill, HOLDER_SERVICE, HolderMethod } from './holder-protocol';

export interface HolderOptions {
  id: string; bundle: string; root?: string; config?: string; debug?: boolean; log?: string;
  /** `process.terminal`: the pty master goes to this socket (checked by `create`), the holder keeps the slave. */
  consoleSocket?: string;
  /**
   * `run -d`: start the process right after the create, before reporting. A failed start undoes everything,
   * state folder included (runc destroys a container whose `run` failed), and is reported as the error.
   */
  start?: boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

class Holder {
  private started = false;
  private paused = false;
  private exiting = false;
  private forward: ((sig: number) => void) | undefined;
  private control: Server | undefined;
  private stats: HolderStats | undefined;

  constructor(private readonly service: SandboxService, private readonly live: SandboxHandle, private readonly logger: Logger, private readonly terminal?: HostTerminal) {}

  async serve(): Promise<void> {
    const server = new TtrpcServer();
    server.register(HOLDER_SERVICE, HolderMethod.Start, async () => { await this.start(); return new Uint8Array(); });
    server.register(HOLDER_SERVICE, HolderMethod.Kill, (payload) => { this.kill(decodeKill(payload).signal); return new Uint8Array(); });
    const stats = new HolderStats(this.live, () => this.exiting);
    this.stats = stats;
    stats.register(server);
    server.register(HOLDER_SERVICE, HolderMethod.Pause, async () => { await this.pause(); return new Uint8Array(); });
    server.register(HOLDER_SERVICE, HolderMethod.Resume, async () => { await this.resume(); return new Uint8Array(); });
    registerExec(server, this.live, () => this.exiting);
    registerPod(server, this.service, this.live, { exiting: () => this.exiting, paused: () => this.paused });
    for (const s of SIGNALS) process.on(s, () => this.kill(constants.signals[s]));
    this.control = await listenControl(this.live.ctx.runDir, server);
  }

  /**
   * Answers once the guest runs the process (so an exec right after finds it), then relays until it exits.
   * A failed start ends the holder, the container left stopped for `delete`; with `undo` (`run -d`) everything
   * is undone instead and the caller reports the error.
   */
  async start(undo = false): Promise<void> {
    if (this.started || this.exiting) throw E.SANDBOX_BUSY.create('cannot start an already running container', { details: { id: this.live.ctx.id } });
    this.started = true;
    try {
      await this.service.start(this.live);
    } catch (err) {
      if (undo) await this.undo();
      else void this.died(err);
      throw err;
    }
    const tty = this.terminal;
    if (tty) await tty.watchSize((s) => this.live.agent!.resizeTty(this.live.ctx.id, '', s.rows, s.columns));
    const io = tty ? tty.io : { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
    this.service.relayAndWait(this.live, io, {
      onSignal: (cb) => { this.forward = cb; },
    }).then((status) => this.exit(status, false), (err: unknown) => this.died(err));
  }

  /**
   * Invariant (a): the holder stands for the container, so when its VM (or a process the VM needs, such as
   * virtiofsd) dies, the holder ends at once with status 137 and `state` says stopped. Before `start` nothing
   * else is waiting on the VM: this watch is what notices (issue #10 item 3).
   */
  watchVm(): void {
    this.live.vmDied.catch((err: unknown) => { if (!this.started) void this.died(err); });
  }

  private died(err: unknown): Promise<void> {
    this.logger.error('the container ended because its sandbox failed', { id: this.live.ctx.id, err });
    return this.exit(isVmDied(err) ? KILLED_STATUS : 255, true);
  }

  private async pause(): Promise<void> {
    await this.stats?.beforePause();
    try {
      await this.service.pause(this.live);
    } catch (err) {
      this.stats?.resumed();
      throw err;
    }
    this.paused = true;
  }

  private async resume(): Promise<void> {
    if (!this.paused) return;
    await this.service.resume(this.live);
    this.paused = false;
    this.stats?.resumed();
  }

  /**
   * Before start there is no process to signal: the container ends as if its init was killed. A paused VM is
   * resumed first, or the signal could not reach the guest (runc: KILL stops a paused container).
   */
  private kill(sig: number): void {
    if (!this.started) { void this.exit(128 + sig, false); return; }
    void this.resume().then(() => this.forward?.(sig), () => undefined);
  }

  /** Tears everything down, state folder included, without exiting (the caller reports why). */
  private async undo(): Promise<void> {
    this.exiting = true;
    this.control?.close();
    await this.service.finish(this.live, true).catch(() => undefined);
  }

  private async exit(status: number, failed: boolean): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    this.control?.close();
    if (failed) process.exitCode = status;
    await this.terminal?.close();
    await this.service.finish(this.live, failed, { exitStatus: status }).catch(() => undefined);
    process.exit(status);
  }
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as HolderOptions;
  guardStdio(opts.log, 'cella-holder');
  const report = reporter();
  let terminal: HostTerminal | undefined;
  // The holder's stdout/stderr belong to the container: its own log goes to --log (or nowhere).
  const logger = new JsonLogger((line) => { if (opts.log) appendFileSync(opts.log, `${line}\n`); }, opts.debug ? 'debug' : 'warn', { name: 'cella-holder' });
  try {
    const rt = await loadRuntime({ root: opts.root, config: opts.config, debug: opts.debug }, logger);
    const service = makeSandboxService(rt);
    await service.collectStale();
    const bundle = await readBundle(opts.bundle);
    // The master is sent before anything is made: a socket nobody listens on fails the create cleanly.
    terminal = opts.consoleSocket === undefined ? undefined : await HostTerminal.open(opts.consoleSocket);
    const live = await service.create(opts.id, bundle);
    const holder = new Holder(service, live, logger, terminal);
    holder.watchVm();
    await holder.serve();
    if (opts.start) await holder.start(true);
    await report.send({ ok: true, pid: process.pid });
  } catch (err) {
    await terminal?.close(0);
    logger.error('create failed', { err });
    await report.send({ ok: false, error: errorJson(err).error as Record<string, unknown> });
    process.exit(1);
  }
}

void main();
