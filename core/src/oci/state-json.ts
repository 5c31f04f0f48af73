// SPDX-License-Identifier: Apache-2.0
import type { OciStatus } from './container-state';
import { goJson, type GoJsonValue } from './go-json';

/** What Cella keeps per container: enough to answer `state` and `list` as runc does. */
export interface OciContainerRecord {
  /** The bundle's config.json `ociVersion`. */
  ociVersion: string;
  id: string;
  /** The host pid that stands for the container (the holder). Printed as 0 once stopped. */
  pid: number;
  status: OciStatus;
  /** Absolute bundle folder. */
  bundle: string;
  /** Absolute host path of the root filesystem. */
  rootfs: string;
  /** Creation time as `rfc3339Nano` writes it. */
  created: string;
  /** config.json `annotations`. */
  annotations?: Readonly<Record<string, string>>;
}

/** One row of `list`: the record plus the name of the user owning the container's state folder. */
export interface OciListEntry extends OciContainerRecord {
  owner: string;
}

/** runc's containerState, keys in runc's order; `annotations` left out when empty, as runc does. */
function stateObject(r: OciContainerRecord, owner: string): { [key: string]: GoJsonValue } {
  const annotations = r.annotations && Object.keys(r.annotations).length > 0 ? new Map(Object.entries(r.annotations)) : undefined;
  return {
    ociVersion: r.ociVersion,
    id: r.id,
    pid: r.status === 'stopped' ? 0 : r.pid,
    status: r.status,
    bundle: r.bundle,
    rootfs: r.rootfs,
    created: r.created,
    annotations,
    owner,
  };
}

/** The exact stdout of `runc state`: 2-space indented JSON, `owner` always "", no trailing newline. */
export function ociStateJson(record: OciContainerRecord): string {
  return goJson(stateObject(record, ''), '  ');
}

export function listEntry(record: OciContainerRecord, owner: string): OciListEntry {
  return { ...record, owner };
}

/**
 * The exact stdout of `runc list [--format table|json] [-q]`, containers sorted by id (runc reads its root
 * folder in name order). `-q`: one id a line. json: one compact array line, `null` when empty. table: Go's
 * tabwriter (min width 12, padding 3) over `ID PID STATUS BUNDLE CREATED OWNER`.
 */
export function formatList(entries: readonly OciListEntry[], format: 'table' | 'json', quiet = false): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)));
  if (quiet) return sorted.map((e) => `${e.id}\n`).join('');
  if (format === 'json') return `${sorted.length === 0 ? 'null' : goJson(sorted.map((e) => stateObject(e, e.owner)))}\n`;
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const e of sorted) rows.push([e.id, String(e.status === 'stopped' ? 0 : e.pid), e.status, e.bundle, e.created, e.owner]);
  return tabwriter(rows, 12, 3);
}

/**
 * Go's text/tabwriter with padchar ' ' and no flags, for rows of equal length: every column but the last
 * is as wide as its widest cell plus `padding` (at least `minWidth`), counting code points as Go counts runes.
 */
function tabwriter(rows: string[][], minWidth: number, padding: number): string {
  const width = (s: string): number => [...s].length;
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? minWidth, width(cell) + padding); });
  }
  return rows.map((row) => `${row.map((cell, i) => (i < row.length - 1 ? cell + ' '.repeat(widths[i]! - width(cell)) : cell)).join('')}\n`).join('');
}

/**
 * A time as Go's RFC3339Nano in UTC (what runc stores in `created`): the fraction has its trailing zeros
 * cut and is left out when zero. A bigint is nanoseconds since 1970 (a Date carries only milliseconds).
 */
export function rfc3339Nano(time: Date | bigint): string {
  const ns = typeof time === 'bigint' ? time : BigInt(time.getTime()) * 1_000_000n;
  let secs = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) { frac += 1_000_000_000n; secs -= 1n; }
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const digits = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${digits}Z`;
}

/** Nanoseconds since 1970 of an RFC 3339 time (the inverse of `rfc3339Nano`, any offset). */
export function parseRfc3339Nano(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 time: ${JSON.stringify(text)}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
