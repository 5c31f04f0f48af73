// SPDX-License-Identifier: Apache-2.0
import { CellaError } from '../errors/cella-error';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The Logger port: JSON lines with ts, level, name, msg, context fields and err{code,category,message,cause}. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

/** Longest piece of guest-supplied text that goes into a log line. */
export const MAX_LOGGED_TEXT = 512;

export function truncateForLog(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more)`;
}

export class JsonLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly level: LogLevel = 'info',
    private readonly context: Record<string, unknown> = {},
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }

  child(context: Record<string, unknown>): Logger {
    return new JsonLogger(this.sink, this.level, { ...this.context, ...context });
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, ...this.context, msg };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) rec[k] = k === 'err' ? errToLog(v) : boundForLog(v);
    }
    try {
      this.sink(JSON.stringify(rec));
    } catch {
      // A log line that cannot be written must not take the program down.
    }
  }
}

function errToLog(err: unknown): unknown {
  if (err instanceof CellaError) return boundForLog(err.toJSON());
  if (err instanceof Error) return { message: truncateForLog(err.message), ...((err as NodeJS.ErrnoException).code ? { code: (err as NodeJS.ErrnoException).code } : {}) };
  return boundForLog(err);
}

/** Caps every string, list and object in a logged value (guest-supplied text included), so a line stays small. */
export function boundForLog(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return truncateForLog(v);
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 32).map((x) => boundForLog(x, depth + 1));
  return Object.fromEntries(Object.entries(v).slice(0, 32).map(([k, x]) => [k, boundForLog(x, depth + 1)]));
}

/** A logger that drops everything (tests, quiet commands). */
export const nullLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return nullLogger; },
};
