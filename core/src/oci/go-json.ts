// SPDX-License-Identifier: Apache-2.0
/**
 * JSON text exactly as Go's encoding/json writes it (the encoder runc 1.1 is built with, Go 1.19), so that
 * `state`, `list` and `spec` match runc byte for byte. Differences from JSON.stringify that matter here:
 * `<`, `>`, `&`, U+2028 and U+2029 are escaped as \u003c…; control characters other than \n \r \t are
 * written as \u00XX (\b and \f too); an unpaired surrogate becomes \ufffd, as Go does for invalid UTF-8.
 * A plain object is a Go struct: its members keep insertion order and `undefined` ones are left out (Go's
 * `omitempty`). A `Map` is a Go map: its keys are sorted by their UTF-8 bytes, as Go does (a plain object
 * could not hold that order: JavaScript puts integer-like keys first).
 */

export type GoJsonValue =
  | string | number | boolean | undefined | GoJsonValue[] | ReadonlyMap<string, GoJsonValue> | { [key: string]: GoJsonValue };

const HEX = '0123456789abcdef';

/** One string as a Go JSON string literal. */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) out += `\\u${hex4(c)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) out += s[i]! + s[++i]!;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += s[i];
  }
  return `${out}"`;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function hex4(c: number): string {
  return HEX[(c >> 12) & 15]! + HEX[(c >> 8) & 15]! + HEX[(c >> 4) & 15]! + HEX[c & 15]!;
}

/**
 * `json.Marshal` (indent `''`) or `json.MarshalIndent(v, "", indent)`. No trailing newline, as Go
 * (`json.NewEncoder(w).Encode` adds one: append it yourself).
 */
export function goJson(value: GoJsonValue, indent = ''): string {
  return write(value, indent, '');
}

function write(value: GoJsonValue, indent: string, prefix: string): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`goJson: ${value} has no JSON form`);
    return String(value);
  }
  const inner = prefix + indent;
  const open = indent ? `\n${inner}` : '';
  const sep = indent ? `,\n${inner}` : ',';
  const close = indent ? `\n${prefix}` : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${open}${value.map((v) => write(v, indent, inner)).join(sep)}${close}]`;
  }
  const members = value instanceof Map
    ? [...(value as ReadonlyMap<string, GoJsonValue>)].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    : Object.entries(value).filter(([, v]) => v !== undefined);
  if (members.length === 0) return '{}';
  const colon = indent ? ': ' : ':';
  return `{${open}${members.map(([k, v]) => goJsonString(k) + colon + write(v, indent, inner)).join(sep)}${close}}`;
}
