// SPDX-License-Identifier: Apache-2.0
import type { Logger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const MAX_TEXT = 512;

/**
 * The guest agent's Logger: JSON lines (`ts`, `level`, `name`, `msg`, fields) to a sink, normally stderr,
 * which is the VM console. The guest bundle cannot import core's logger (core's index loads the DI).
 */
export class GuestLogger implements Logger {
  constructor(
    private readonly sink: (line: string) => void,
    private readonly level: Level = 'warn',
    private readonly context: Record<string, unknown> = { name: 'cella-guest-agent' },
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }

  child(context: Record<string, unknown>): Logger {
    return new GuestLogger(this.sink, this.level, { ...this.context, ...context });
  }

  private write(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, ...this.context, msg };
    for (const [k, v] of Object.entries(fields ?? {})) rec[k] = k === 'err' ? errorFields(v) : bound(v);
    try {
      this.sink(`${JSON.stringify(rec)}\n`);
    } catch {
      // A log line that cannot be written must not take the agent down.
    }
  }
}

function errorFields(err: unknown): unknown {
  if (isCellaError(err)) return bound(err.toJSON());
  if (err instanceof Error) return { message: bound(err.message), ...((err as NodeJS.ErrnoException).code ? { code: (err as NodeJS.ErrnoException).code } : {}) };
  return bound(err);
}

/** Caps every string (guest-supplied text included) so one log line stays small. */
function bound(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length <= MAX_TEXT ? v : `${v.slice(0, MAX_TEXT)}…(${v.length - MAX_TEXT} more)`;
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 32).map((x) => bound(x, depth + 1));
  return Object.fromEntries(Object.entries(v).slice(0, 32).map(([k, x]) => [k, bound(x, depth + 1)]));
}
