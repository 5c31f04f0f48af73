// SPDX-License-Identifier: Apache-2.0

/** Milliseconds per unit of Go's time.ParseDuration. */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/** One `<number><unit>` piece: digits, an optional fraction, then the unit (everything up to the next digit or dot). */
const PIECE = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * A duration as Go's `time.ParseDuration` reads it (what runc's `--interval` takes: "5s", "1m30s", "500ms",
 * "1.5h", "-1s", "0"), in milliseconds; `undefined` where Go answers an error.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  while (s !== '') {
    const m = PIECE.exec(s)!;
    const [all, whole = '', frac] = m;
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const unit = UNITS[m[3] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(`${whole || '0'}.${frac || '0'}`) * unit;
    s = s.slice(all.length);
  }
  return sign * total;
}
