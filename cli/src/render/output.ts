// SPDX-License-Identifier: Apache-2.0
/** The only place that writes to the terminal (lint: no console outside render/). */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): void {
  out(JSON.stringify(value, undefined, 2));
}

/** Plain text columns. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A log line for a human: `cella: warning: …`. JSON lines pass through when --log-format json. */
export function logSink(format: 'text' | 'json'): (line: string) => void {
  if (format === 'json') return (line) => err(line);
  return (line) => {
    const rec = JSON.parse(line) as { level: string; msg: string; reason?: unknown; err?: { message?: string }; [k: string]: unknown };
    const label = rec.level === 'warn' ? 'warning' : rec.level;
    // Operators read the reason; the other fields are for --debug (or --log-format json).
    const reasonText = typeof rec.reason === 'string' ? rec.reason : rec.err?.message;
    const reason = reasonText ? `: ${reasonText}` : '';
    const extra = rec.level !== 'debug' ? [] : Object.entries(rec)
      .filter(([k]) => !['ts', 'level', 'msg', 'name', 'err', 'sandbox', 'reason'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    err(`cella: ${label}: ${rec.msg}${reason}${extra.length ? ` (${extra.join(' ')})` : ''}`);
  };
}
