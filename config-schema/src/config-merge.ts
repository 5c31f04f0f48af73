// SPDX-License-Identifier: Apache-2.0

/** RFC 6901 encoding of one key. */
export function escapePointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RFC 6901 decoding of a pointer into its keys (`''` is the root, `[]`). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function isTable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// A config key named `__proto__` must stay a plain (and then unknown) key, never a prototype.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function recordAll(value: unknown, pointer: string, file: string, origins: Map<string, string>): void {
  origins.set(pointer, file);
  if (isTable(value)) {
    for (const key of Object.keys(value)) recordAll(value[key], `${pointer}/${escapePointerSegment(key)}`, file, origins);
  }
}

function forgetBelow(pointer: string, origins: Map<string, string>): void {
  const prefix = `${pointer}/`;
  for (const key of [...origins.keys()]) if (key.startsWith(prefix)) origins.delete(key);
}

/**
 * Merge `source` (parsed from `file`) into `target`: tables are merged key by key, arrays and scalars
 * replace what was there (Kata runtime-rs drop-in semantics). `origins` maps the JSON pointer of every
 * table, array and scalar to the file that last set it. `source` is copied, never shared.
 */
export function mergeConfig(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  file: string,
  origins: Map<string, string>,
  pointer = '',
): void {
  for (const key of Object.keys(source)) {
    const here = `${pointer}/${escapePointerSegment(key)}`;
    const incoming = source[key];
    const existing = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (isTable(incoming) && isTable(existing)) {
      origins.set(here, file);
      mergeConfig(existing, incoming, file, origins, here);
      continue;
    }
    forgetBelow(here, origins);
    setOwn(target, key, isTable(incoming) ? copyTable(incoming) : structuredClone(incoming));
    recordAll(incoming, here, file, origins);
  }
}

function copyTable(table: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const value = table[key];
    setOwn(out, key, isTable(value) ? copyTable(value) : structuredClone(value));
  }
  return out;
}
