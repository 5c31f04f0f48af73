// SPDX-License-Identifier: Apache-2.0
import type { ErrorObject } from 'ajv';
import { escapePointerSegment, parsePointer } from './config-merge';

/** One thing wrong with the config, as listed in `E_CONFIG_INVALID` `details.problems`. */
export interface ConfigProblem {
  /** The file that set the value, or `built-in defaults`. */
  file: string;
  /** Dotted key path: `sandbox.default_vcpus`, `plugins."hypervisor.qemu".accel`, `runtime.plugin_dirs[0]`. */
  path: string;
  /** `must be integer`, `unknown key`, `must be one of "debug", "info"`, … */
  problem: string;
  /** Expected type or range. */
  expected?: string;
  /** Allowed values of an enum or const. */
  allowed?: unknown[];
  value?: unknown;
  /** Key path of a known key close to an unknown one. */
  suggestion?: string;
}

export const BUILT_IN = 'built-in defaults';
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** TOML-style dotted path of a JSON pointer; `data` tells array indexes from keys. */
export function keyPath(pointer: string, data: unknown): string {
  let out = '';
  let cur: unknown = data;
  for (const key of parsePointer(pointer)) {
    if (Array.isArray(cur)) out += `[${key}]`;
    else out += (out ? '.' : '') + (BARE_KEY.test(key) ? key : JSON.stringify(key));
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return out || '(top level)';
}

/** The file that last set `pointer` or the closest table above it. */
export function originOf(pointer: string, origins: ReadonlyMap<string, string>): string {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const file = origins.get(p);
    if (file) return file;
    if (p === '') return BUILT_IN;
  }
}

/** JSON text of a value for a message line, cut to a readable length. */
export function showValue(value: unknown): string {
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint') text = value.toString();
  else text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

function closestKey(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

type Described = Omit<ConfigProblem, 'file' | 'path'> & { pointer: string };

function describe(err: ErrorObject): Described | undefined {
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  const at = err.instancePath;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(err.params.additionalProperty);
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      const value = (err.data as Record<string, unknown>)[key];
      return { pointer: `${at}/${escapePointerSegment(key)}`, problem: 'unknown key', value, suggestion: closestKey(key, known) };
    }
    case 'required':
      return { pointer: `${at}/${escapePointerSegment(String(err.params.missingProperty))}`, problem: 'missing required key' };
    case 'type': {
      const expected = ([] as string[]).concat(err.params.type).join(' or ');
      return { pointer: at, problem: `must be ${expected}`, expected, value: err.data };
    }
    case 'enum': {
      const allowed = err.params.allowedValues as unknown[];
      return { pointer: at, problem: `must be one of ${allowed.map(showValue).join(', ')}`, allowed, value: err.data };
    }
    case 'const':
      return { pointer: at, problem: `must be ${showValue(err.params.allowedValue)}`, allowed: [err.params.allowedValue], value: err.data };
    case 'minimum':
    case 'maximum': {
      const { minimum, maximum } = parent;
      if (typeof minimum === 'number' && typeof maximum === 'number') {
        return { pointer: at, problem: `must be from ${minimum} to ${maximum}`, expected: `${minimum}..${maximum}`, value: err.data };
      }
      const bound = `${err.params.comparison} ${err.params.limit}`;
      return { pointer: at, problem: `must be ${bound}`, expected: bound, value: err.data };
    }
    case 'if':
      return undefined; // the failing `then`/`else` branch reports the actual problem
    default: {
      const custom = parent['x-problem'];
      const problem = typeof custom === 'string' ? custom : (err.message ?? `fails ${err.keyword}`);
      return { pointer: at, problem, value: err.data };
    }
  }
}

/** ajv errors of a failed validation → problems, one per path and problem, each with its file. */
export function toProblems(errors: ErrorObject[], data: unknown, origins: ReadonlyMap<string, string>): ConfigProblem[] {
  // Errors inside a failed anyOf/oneOf branch only say why each alternative failed: keep the summary.
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (alternatives.some((prefix) => err.schemaPath.startsWith(prefix))) continue;
    const described = describe(err);
    if (!described) continue;
    const { pointer, ...rest } = described;
    const problem: ConfigProblem = { file: originOf(pointer, origins), path: keyPath(pointer, data), ...rest };
    if (rest.suggestion) {
      const parentPointer = pointer.slice(0, pointer.lastIndexOf('/'));
      problem.suggestion = keyPath(`${parentPointer}/${escapePointerSegment(rest.suggestion)}`, data);
    }
    for (const key of Object.keys(problem) as (keyof ConfigProblem)[]) if (problem[key] === undefined) delete problem[key];
    const id = `${problem.path}\0${problem.problem}`;
    if (!seen.has(id)) out.push(problem);
    seen.add(id);
  }
  return out;
}

/** `<file>: <key path>: <problem> (got <value as JSON>)`. */
export function problemLine(p: ConfigProblem): string {
  return `${p.file}: ${p.path}: ${p.problem}${'value' in p ? ` (got ${showValue(p.value)})` : ''}`;
}
