// SPDX-License-Identifier: Apache-2.0
import { Command, Flags, type Interfaces } from '@oclif/core';
import type { Logger, LogLevel } from '@cella/core';
import { errorJson, ERROR_EXIT_STATUS, renderError } from './render/errors';
import { err, json, logSink } from './render/output';
import { loadRuntime, makeLogger, type GlobalOptions, type Runtime } from './runtime';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;

/** Shared flags and error rendering of every cella command. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    config: Flags.string({ description: 'Config file (else $CELLA_CONFIG, else /etc/cella/config.toml)', helpGroup: 'GLOBAL' }),
    root: Flags.string({ description: 'State root (default: runtime.root of the config, /run/cella)', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: 'Log at debug level', helpGroup: 'GLOBAL' }),
    'log-format': Flags.string({ description: 'Log and error format', options: ['text', 'json'], default: 'text', helpGroup: 'GLOBAL' }),
  };

  /** Commands that print data take --json. */
  protected jsonOutput = false;

  protected globals(flags: Record<string, unknown>): GlobalOptions {
    return {
      config: flags.config as string | undefined,
      root: flags.root as string | undefined,
      debug: flags.debug as boolean | undefined,
      logFormat: (flags['log-format'] as 'text' | 'json' | undefined) ?? 'text',
    };
  }

  protected logger(g: GlobalOptions, level: LogLevel = 'warn'): Logger {
    return makeLogger(g, level, logSink(g.logFormat ?? 'text'));
  }

  protected runtime(g: GlobalOptions, level?: LogLevel): Promise<Runtime> {
    return loadRuntime(g, this.logger(g, level));
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own errors (bad flags, exit()) keep oclif's handling.
    if (error.oclif) return super.catch(error);
    if (this.jsonOutput) json(errorJson(error));
    else err(renderError(error));
    process.exitCode = ERROR_EXIT_STATUS;
    return this.exit(ERROR_EXIT_STATUS);
  }
}
