// SPDX-License-Identifier: Apache-2.0
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { loadRawConfig } from '@cella/config-schema';
import type { Logger, LogLevel } from '@cella/core';
import { errorChain, isCellaError } from '@cella/core/errors';
import { errorJson, ERROR_EXIT_STATUS, renderError } from './render/errors';
import { err, json, logSink } from './render/output';
import { loadRuntime, makeLogger, type GlobalOptions, type Runtime } from './runtime';

const DEFAULT_ROOT = '/run/cella';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/** Shared flags and error rendering of every cella command. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    config: Flags.string({ description: 'Config file (else $CELLA_CONFIG, else /etc/cella/config.toml)', helpGroup: 'GLOBAL' }),
    root: Flags.string({ description: 'State root (default: runtime.root of the config, /run/cella)', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: 'Log at debug level', helpGroup: 'GLOBAL' }),
    'log-format': Flags.string({ description: 'Log and error format', options: ['text', 'json'], default: 'text', helpGroup: 'GLOBAL' }),
    log: Flags.string({ description: 'Write logs (JSON lines with --log-format json) to this file instead of stderr', helpGroup: 'GLOBAL' }),
    'systemd-cgroup': Flags.boolean({ description: 'Accepted for runc compatibility (cgroups live in the guest)', helpGroup: 'GLOBAL' }),
  };

  /** Commands that print data take --json. */
  protected jsonOutput = false;
  /** Exit status of a failed command (runc: 1; `exec` 255). */
  protected errorExitStatus = ERROR_EXIT_STATUS;

  private g: GlobalOptions | undefined;

  protected globals(flags: Record<string, unknown>): GlobalOptions {
    this.g = {
      log: flags.log as string | undefined,
      config: flags.config as string | undefined,
      root: flags.root as string | undefined,
      debug: flags.debug as boolean | undefined,
      logFormat: (flags['log-format'] as 'text' | 'json' | undefined) ?? 'text',
    };
    return this.g;
  }

  protected logger(g: GlobalOptions, level: LogLevel = 'warn'): Logger {
    const log = g.log;
    return makeLogger(g, level, log ? (line) => appendFileSync(log, `${line}\n`) : logSink(g.logFormat ?? 'text'));
  }

  /** The state root without loading plugins (fast commands: state, list, start, kill). */
  protected async stateRoot(g: GlobalOptions): Promise<string> {
    if (g.root) return resolve(g.root);
    const raw = await loadRawConfig({ configPath: g.config, env: process.env });
    const root = (raw.data.runtime as { root?: unknown } | undefined)?.root;
    return typeof root === 'string' ? root : DEFAULT_ROOT;
  }

  protected runtime(g: GlobalOptions, level?: LogLevel): Promise<Runtime> {
    return loadRuntime(g, this.logger(g, level));
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // A usage error (a missing argument, an unknown flag or one without its value) exits 1, as runc's; oclif's
    // message, which names the argument or flag, and its help stay.
    if (error.oclif && 'parse' in error) error.oclif.exit = ERROR_EXIT_STATUS;
    // oclif's own errors (bad flags, exit()) keep oclif's handling.
    if (error.oclif) return super.catch(error);
    // An error a holder (or the guest behind it) answered with: shown with its own code, not as a failed call.
    // (Duck-typed: importing the ttRPC module here would slow every command's start.)
    const remote = (error as { remoteError?: () => Error | undefined }).remoteError;
    const shown = isCellaError(error, 'E_TTRPC_STATUS') && typeof remote === 'function' ? remote.call(error) ?? error : error;
    if (this.jsonOutput) json(errorJson(shown));
    else err(renderError(shown));
    // As runc: the engine (go-runc) reads the error from the --log file, one JSON object per line.
    if (this.g?.log) {
      const rec = this.g.logFormat === 'json'
        ? JSON.stringify({ level: 'error', msg: errorChain(shown).join(': '), time: new Date().toISOString() })
        : `time="${new Date().toISOString()}" level=error msg="${errorChain(shown).join(': ')}"`;
      try { appendFileSync(this.g.log, `${rec}\n`); } catch { /* the log is best effort */ }
    }
    process.exitCode = this.errorExitStatus;
    return this.exit(this.errorExitStatus);
  }
}
