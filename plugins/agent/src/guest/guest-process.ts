// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import { rm } from 'node:fs/promises';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';
import { ConsoleSocketListener, setWindowSize, ttyStream } from '@cella/core/tty';
import { AgentErrors } from '../agent-errors';
import { OutputBuffer, OUTPUT_BUFFER_LIMIT } from './output-buffer';

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * A process the agent started (`crun run` or `crun exec`) with its stdio on pipes: output buffered
 * until the host reads it, stdin written on request, exit status kept (code, or 128+n for signal n).
 */
export class GuestProcess {
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer;
  private status: number | undefined;
  private readonly exited: Promise<number>;
  private stdinOpen = true;
  /** A terminal process: the pty master crun sent (its output is stdout; stderr has crun's own messages). */
  private terminal: { stream: ReadStream; fd: number } | undefined;

  private constructor(private readonly child: Child, readonly argv: readonly string[], limit: number, terminalOut?: Readable) {
    this.stdout = new OutputBuffer(terminalOut ?? child.stdout, limit);
    this.stderr = new OutputBuffer(child.stderr, limit);
    // EPIPE after the process closed its stdin is reported to the writer, not thrown.
    child.stdin.on('error', () => { this.stdinOpen = false; });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0);
        resolve(this.status);
      });
    });
  }

  /** Starts `argv`; resolves once the process runs, rejects with E_AGENT_COMMAND when it cannot start. */
  static start(argv: readonly string[], options: { limit?: number; cwd?: string } = {}, terminalOut?: Readable): Promise<GuestProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
      const proc = new GuestProcess(child, argv, options.limit ?? OUTPUT_BUFFER_LIMIT, terminalOut);
      let running = false;
      child.once('spawn', () => { running = true; resolve(proc); });
      // Later errors (a failed kill) are not fatal: the exit event still reports the outcome.
      child.on('error', (err) => running || reject(AgentErrors.AGENT_COMMAND.create('A guest process cannot be started', {
        details: { command: argv.join(' ').slice(0, 1024) }, cause: err,
      })));
    });
  }

  /**
   * Starts a terminal process: `argvFor(socket)` is a crun command given `--console-socket socket`; crun makes
   * the pty in the container and sends its master there (docs/adr/0008). Resolves once the master is here,
   * or once crun exited without sending one (its stderr and status tell why, as for any process).
   */
  static async startWithTerminal(argvFor: (socket: string) => readonly string[], socket: string, options: { limit?: number; cwd?: string; timeoutMs?: number } = {}): Promise<GuestProcess> {
    const listener = await ConsoleSocketListener.listen(socket);
    try {
      const out = new PassThrough();
      const proc = await GuestProcess.start(argvFor(socket), options, out);
      proc.child.stdin.end();
      proc.child.stdout.resume();
      let got;
      try {
        got = await listener.receive(options.timeoutMs ?? 10_000, () => proc.exitStatus !== undefined);
      } catch (err) {
        out.end();
        if (proc.exitStatus !== undefined) return proc;
        proc.kill(9);
        throw err;
      }
      const stream = ttyStream(got.fd);
      // The master reads EIO once the last slave is closed (the process exited): that ends the output.
      stream.on('data', (chunk: Buffer) => { if (!out.write(chunk)) { stream.pause(); out.once('drain', () => stream.resume()); } });
      stream.once('close', () => out.end());
      proc.terminal = { stream, fd: got.fd };
      void proc.wait().then(() => setTimeout(() => stream.destroy(), 2000).unref());
      return proc;
    } finally {
      listener.close();
      await rm(socket, { force: true }).catch(() => undefined);
    }
  }

  /** TIOCSWINSZ on the process's terminal (the process group in front gets SIGWINCH). */
  resize(rows: number, columns: number): void {
    if (!this.terminal) throw AgentErrors.AGENT_TTY_UNSUPPORTED.create('The process has no terminal', { details: { rows, columns } });
    setWindowSize(this.terminal.fd, { rows, columns });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit status, once the process has exited. */
  get exitStatus(): number | undefined {
    return this.status;
  }

  wait(): Promise<number> {
    return this.exited;
  }

  /** Writes all of `data`; resolves when the pipe took it (blocks while the process does not read). */
  write(data: Buffer): Promise<number> {
    const tty = this.terminal?.stream;
    if (tty) {
      return new Promise((resolve, reject) => {
        if (tty.destroyed) return reject(AgentErrors.AGENT_STATE.create('The process terminal is closed'));
        tty.write(data, (err) => { if (err) reject(AgentErrors.AGENT_STATE.create('The process terminal is closed', { cause: err })); else resolve(data.length); });
      });
    }
    return new Promise((resolve, reject) => {
      if (!this.stdinOpen || this.child.stdin.destroyed || this.child.stdin.writableEnded) {
        return reject(AgentErrors.AGENT_STATE.create('The process stdin is closed'));
      }
      if (data.length === 0) return resolve(0);
      this.child.stdin.write(data, (err) => {
        if (err) reject(AgentErrors.AGENT_STATE.create('The process stdin is closed', { cause: err }));
        else resolve(data.length);
      });
    });
  }

  closeStdin(): void {
    // A terminal stays open: its process reads end of input when ^D is typed, as on any terminal.
    if (this.terminal) return;
    this.stdinOpen = false;
    if (!this.child.stdin.writableEnded) this.child.stdin.end();
  }

  /** Sends a signal to the process itself (for crun this is the crun process, not the container). */
  kill(signal: number): void {
    if (this.status === undefined) this.child.kill(signal);
  }
}
