// SPDX-License-Identifier: Apache-2.0
import type { default as Ajv, ValidateFunction } from 'ajv';
import { E } from '@cella/core/errors';
import { CORE_CONFIG_SCHEMA, type CellaConfig } from './core-schema';
import type { RawConfig } from './config-loader';
import { isTable } from './config-merge';
import { problemLine, toProblems } from './config-problems';
import { ValidatorCache } from './validator-cache';

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * `checkMeta: false` skips checking the schema against the draft-07 meta-schema (~40 ms per process);
 * strict mode still rejects unknown keywords and keyword values of the wrong type. `optimize: false`
 * saves ~20 ms of code generation; one config object is validated per process, so speed there is moot.
 */
function newAjv(checkMeta: boolean, source = false): Ajv {
  // Loaded on first validation, not at import: ajv costs ~45 ms to require, more than the rest of the CLI start.
  const AjvClass = (require('ajv') as typeof import('ajv')).default;
  const ajv = new AjvClass({
    strict: true,
    allErrors: true,
    useDefaults: true,
    coerceTypes: false,
    verbose: true,
    allowUnionTypes: true,
    validateSchema: checkMeta,
    // `source` keeps the generated code, for the validator cache (validator-cache.ts).
    code: { optimize: checkMeta, source },
  });
  ajv.addKeyword('x-problem');
  return ajv;
}

/**
 * Full check of a plugin's option schema, meta-schema included (for `cella plugins` diagnostics and
 * plugin tests; `validateConfig` does a lighter check). Throws E_PLUGIN_MANIFEST naming the plugin.
 */
export function checkPluginSchema(id: string, fragment: object): void {
  checkPrepared(id, prepareFragment(id, fragment));
}

function checkPrepared(id: string, prepared: unknown): void {
  try {
    // Compiled as a property, where it sits in the composed schema (a root `default` is an error in strict mode).
    newAjv(true).compile({ type: 'object', properties: { [id]: prepared } });
  } catch (cause) {
    throw badFragment(id, cause);
  }
}

function badFragment(id: string, cause: unknown): Error {
  return E.PLUGIN_MANIFEST.create(`Config schema of plugin ${id} is not a valid JSON Schema.`, {
    cause,
    details: { plugin: id },
    hint: 'Fix the configSchema file the plugin package declares.',
  });
}

function pluginFragments(schema: object): [string, unknown][] {
  const plugins = (schema as { properties?: { plugins?: { properties?: Record<string, unknown> } } }).properties?.plugins;
  return Object.entries(plugins?.properties ?? {});
}

/**
 * The compiled validator of `schema`, compiled once per schema object (and, given `cacheDir`, once per schema on
 * this host: see ValidatorCache). Throws when the schema is invalid.
 */
export function configValidator(schema: object, cacheDir?: string): ValidateFunction {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const cache = cacheDir === undefined ? undefined : new ValidatorCache(cacheDir);
  const file = cache?.file(schema);
  let validate = file === undefined ? undefined : cache!.load(file);
  if (validate) {
    compiled.set(schema, validate);
    return validate;
  }
  try {
    const ajv = newAjv(false, file !== undefined);
    validate = ajv.compile(schema);
    if (file !== undefined) cache!.save(file, ajv, validate);
  } catch (err) {
    // Find the plugin whose fragment breaks compilation, so the error names someone who can fix it.
    for (const [id, fragment] of pluginFragments(schema)) checkPrepared(id, fragment);
    throw E.INTERNAL.create('Config schema does not compile.', { cause: err });
  }
  compiled.set(schema, validate);
  return validate;
}

function prepareFragment(id: string, fragment: object): Record<string, unknown> {
  if (!isTable(fragment)) {
    throw E.PLUGIN_MANIFEST.create(`Config schema of plugin ${id} is not a JSON Schema object.`, { details: { plugin: id } });
  }
  const out = structuredClone(fragment);
  // The composed schema is draft-07 as a whole; a nested `$schema` is not allowed there.
  delete out.$schema;
  // Own base URI: the fragment's `#/definitions/...` references keep pointing into the fragment.
  out.$id ??= `https://cella.invalid/config/plugins/${encodeURIComponent(id)}.json`;
  out.type ??= 'object';
  out.default ??= {};
  // Unknown keys are errors in plugin sections too (house style), unless the fragment composes itself.
  const composes = ['allOf', 'anyOf', 'oneOf', '$ref', 'if', 'patternProperties'].some((k) => k in out);
  if (!('additionalProperties' in out) && !composes) out.additionalProperties = false;
  return out;
}

/**
 * The full schema: the core schema with each plugin's option schema under `plugins."<id>"`
 * (default `{}`, so the fragment's defaults fill in) and `plugins` closed to these ids.
 * Compose once per process and reuse the result: validators are cached per schema object.
 */
export function composeSchema(fragments: Record<string, object>): Record<string, unknown> {
  const schema = structuredClone(CORE_CONFIG_SCHEMA) as { properties: { plugins: Record<string, unknown> } };
  const properties: Record<string, unknown> = {};
  for (const id of Object.keys(fragments)) {
    Object.defineProperty(properties, id, { value: prepareFragment(id, fragments[id]), enumerable: true, writable: true, configurable: true });
  }
  schema.properties.plugins = { ...schema.properties.plugins, properties, additionalProperties: false };
  return schema;
}

/**
 * Validate a loaded config against `schema` (the core schema or a composed one) and fill in defaults.
 * `raw` is not changed. Throws one E_CONFIG_INVALID listing every problem (`details.problems`), each
 * with the file that set the value; E_PLUGIN_MANIFEST when a plugin's fragment is not a valid schema.
 */
/** `cacheDir`: where compiled validators may be kept (the product passes its cache folder; tests pass none). */
export function validateConfig(raw: RawConfig, schema: object, cacheDir?: string): CellaConfig {
  const validate = configValidator(schema, cacheDir);
  const data = structuredClone(raw.data);
  if (validate(data)) return data as unknown as CellaConfig;
  const problems = toProblems(validate.errors ?? [], data, raw.origins);
  const suggestions = problems.filter((p) => p.suggestion).map((p) => `${p.suggestion} for ${p.path}`);
  throw E.CONFIG_INVALID.create(['Config is invalid:', ...problems.map(problemLine)].join('\n'), {
    details: { problems, ...(raw.file ? { file: raw.file } : {}), dropIns: raw.dropIns },
    hint: suggestions.length
      ? `Fix the keys listed; did you mean: ${suggestions.join(', ')}?`
      : 'Fix the keys listed; `cella config show` prints the config in effect.',
  });
}
