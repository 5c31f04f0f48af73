// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { AgentErrors } from '../agent-errors';

export interface CommandResult { stdout: string; stderr: string }

/** Runs a helper command (mount, umount, hostname, poweroff, crun kill/delete) to completion. */
export type CommandRunner = (file: string, args: readonly string[], options?: { timeoutMs?: number }) => Promise<CommandResult>;

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 256 * 1024;

/**
 * The real runner: `execFile` with a timeout (Node has no mount(2), so busybox does the syscalls).
 * Fails with E_AGENT_COMMAND carrying the command, exit code or signal, and the end of its stderr.
 */
export const execFileRunner: CommandRunner = (file, args, options = {}) =>
  new Promise<CommandResult>((resolve, reject) => {
    const timeout = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    execFile(file, [...args], { timeout, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number; signal?: string; killed?: boolean };
      const tail = String(stderr ?? '').trim().slice(-2048);
      reject(AgentErrors.AGENT_COMMAND.create(e.killed ? 'A guest command timed out' : 'A guest command failed', {
        details: {
          command: [file, ...args].join(' ').slice(0, 1024),
          exitCode: typeof e.code === 'number' ? e.code : undefined,
          errno: typeof e.code === 'string' ? e.code : undefined,
          signal: e.signal ?? undefined,
          stderr: tail,
          timeoutMs: e.killed ? timeout : undefined,
        },
        // Details stay in the guest; the cause's message travels in the ttRPC status to the host.
        cause: new Error(tail || `${file} ${e.killed ? 'timed out' : `exited with ${String(e.code ?? e.signal)}`}`),
      }));
    });
  });
