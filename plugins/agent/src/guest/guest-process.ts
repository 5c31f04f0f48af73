// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
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

  private constructor(private readonly child: Child, readonly argv: readonly string[], limit: number) {
    this.stdout = new OutputBuffer(child.stdout, limit);
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
  static start(argv: readonly string[], options: { limit?: number; cwd?: string } = {}): Promise<GuestProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
      const proc = new GuestProcess(child, argv, options.limit ?? OUTPUT_BUFFER_LIMIT);
      let running = false;
      child.once('spawn', () => { running = true; resolve(proc); });
      // Later errors (a failed kill) are not fatal: the exit event still reports the outcome.
      child.on('error', (err) => running || reject(AgentErrors.AGENT_COMMAND.create('A guest process cannot be started', {
        details: { command: argv.join(' ').slice(0, 1024) }, cause: err,
      })));
    });
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
    this.stdinOpen = false;
    if (!this.child.stdin.writableEnded) this.child.stdin.end();
  }

  /** Sends a signal to the process itself (for crun this is the crun process, not the container). */
  kill(signal: number): void {
    if (this.status === undefined) this.child.kill(signal);
  }
}
