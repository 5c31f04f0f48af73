// SPDX-License-Identifier: Apache-2.0
import { CORE_CONFIG_SCHEMA, type CellaConfig } from './core-schema';
import { isTable } from './config-merge';

type Schemaish = { properties?: Record<string, Schemaish> };

// Keys in schema order (then any others in their own order); plugin sections sorted by id.
function ordered(value: unknown, schema: Schemaish | undefined, sortKeys: boolean): unknown {
  if (!isTable(value)) return value;
  const known = Object.keys(schema?.properties ?? {});
  const rest = Object.keys(value).filter((k) => !known.includes(k));
  const keys = [...known.filter((k) => k in value), ...(sortKeys ? rest.sort() : rest)];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const child = value[key];
    const childSchema = schema?.properties?.[key];
    Object.defineProperty(out, key, {
      value: ordered(child, childSchema, key === 'plugins' && schema === CORE_CONFIG_SCHEMA),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * The config as text for `cella config show`: `toml` (tables in schema order, plugin sections as
 * `[plugins."<id>"]`) or `json` (2-space indent). Both end with a newline and parse back to `cfg`.
 */
export function formatConfig(cfg: CellaConfig, format: 'toml' | 'json'): string {
  const tidy = ordered(cfg, CORE_CONFIG_SCHEMA as Schemaish, false);
  if (format === 'json') return `${JSON.stringify(tidy, undefined, 2)}\n`;
  const toml = require('smol-toml') as typeof import('smol-toml');
  const text = toml.stringify(tidy);
  return text.endsWith('\n') ? text : `${text}\n`;
}
