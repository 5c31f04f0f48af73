// SPDX-License-Identifier: Apache-2.0
import type { ErrorObject, ValidateFunction } from 'ajv';
import { E } from '../errors/codes';
import type { OciSpec } from './spec';

const uint32 = { type: 'integer', minimum: 0, maximum: 4294967295 };
const uint64 = { type: 'integer', minimum: 0 };
const int64 = { type: 'integer' };
const strings = { type: 'array', items: { type: 'string' } };
const idMappings = {
  type: 'array',
  items: { type: 'object', required: ['containerID', 'hostID', 'size'], properties: { containerID: uint32, hostID: uint32, size: uint32 } },
};

/**
 * JSON Schema (draft-07) of the config.json fields Cella reads, with the runtime-spec's types and required
 * members (schema/config-schema.json, config-linux.json, defs*.json of runtime-spec 1.1) plus the POSIX rules of
 * config.md the schema leaves to prose: `process.user` with uid and gid, at least one arg, an absolute cwd.
 * Unknown members are allowed everywhere: the spec lets bundles carry extensions.
 */
export const OCI_SPEC_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['ociVersion'],
  properties: {
    ociVersion: { type: 'string', minLength: 1 },
    root: { type: 'object', required: ['path'], properties: { path: { type: 'string', minLength: 1 }, readonly: { type: 'boolean' } } },
    process: {
      type: 'object',
      required: ['cwd', 'user', 'args'],
      properties: {
        terminal: { type: 'boolean' },
        consoleSize: { type: 'object', required: ['height', 'width'], properties: { height: uint64, width: uint64 } },
        user: {
          type: 'object',
          required: ['uid', 'gid'],
          properties: { uid: uint32, gid: uint32, umask: uint32, additionalGids: { type: 'array', items: uint32 }, username: { type: 'string' } },
        },
        args: { ...strings, minItems: 1 },
        env: strings,
        cwd: { type: 'string', pattern: '^/' },
        capabilities: {
          type: 'object',
          properties: { bounding: strings, effective: strings, inheritable: strings, permitted: strings, ambient: strings },
        },
        rlimits: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'soft', 'hard'],
            properties: { type: { type: 'string', pattern: '^RLIMIT_[A-Z]+$' }, soft: uint64, hard: uint64 },
          },
        },
        noNewPrivileges: { type: 'boolean' },
      },
    },
    hostname: { type: 'string' },
    domainname: { type: 'string' },
    mounts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['destination'],
        properties: { destination: { type: 'string', minLength: 1 }, type: { type: 'string' }, source: { type: 'string' }, options: strings },
      },
    },
    annotations: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    linux: {
      type: 'object',
      properties: {
        uidMappings: idMappings,
        gidMappings: idMappings,
        namespaces: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type'],
            properties: {
              type: { type: 'string', enum: ['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time'] },
              path: { type: 'string' },
            },
          },
        },
        cgroupsPath: { type: 'string' },
        resources: {
          type: 'object',
          properties: {
            devices: {
              type: 'array',
              items: {
                type: 'object',
                required: ['allow'],
                properties: { allow: { type: 'boolean' }, type: { type: 'string' }, major: int64, minor: int64, access: { type: 'string' } },
              },
            },
            memory: { type: 'object', properties: { limit: int64, reservation: int64, swap: int64 } },
            cpu: {
              type: 'object',
              properties: { shares: uint64, quota: int64, period: uint64, cpus: { type: 'string' }, mems: { type: 'string' } },
            },
            pids: { type: 'object', required: ['limit'], properties: { limit: int64 } },
          },
        },
        maskedPaths: strings,
        readonlyPaths: strings,
      },
    },
  },
} as const;

let compiled: ValidateFunction | undefined;

/** The compiled validator; ajv is loaded on first use (it costs ~45 ms to require). */
function validator(): ValidateFunction {
  if (!compiled) {
    const AjvClass = (require('ajv') as typeof import('ajv')).default;
    // allErrors: the first problem is reported, the rest go in `details.others`.
    const ajv = new AjvClass({ strict: true, allErrors: true, allowUnionTypes: true, validateSchema: false, code: { optimize: false } });
    compiled = ajv.compile(OCI_SPEC_SCHEMA);
  }
  return compiled;
}

/** One ajv problem as the JSON pointer of the member at fault and a phrase. */
function problem(e: ErrorObject): { pointer: string; text: string } {
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  const pointer = missing === undefined ? e.instancePath : `${e.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  if (missing !== undefined) return { pointer, text: 'is required' };
  if (e.keyword === 'enum') return { pointer, text: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
  if (e.keyword === 'pattern' && pointer.endsWith('/cwd')) return { pointer, text: 'must be an absolute path' };
  return { pointer, text: e.message ?? `fails ${e.keyword}` };
}

/**
 * Check a parsed config.json against `OCI_SPEC_SCHEMA`. Throws E_BUNDLE_INVALID whose message names the
 * first member at fault by its JSON pointer; details hold the file, that pointer, and any other problems.
 */
export function validateSpecSchema(spec: unknown, file: string): asserts spec is OciSpec {
  const validate = validator();
  if (validate(spec)) return;
  const problems = (validate.errors ?? []).map(problem);
  const first = problems[0] ?? { pointer: '', text: 'is invalid' };
  const where = first.pointer === '' ? 'the top level' : first.pointer;
  throw E.BUNDLE_INVALID.create(`The bundle's config.json is invalid: ${where} ${first.text}`, {
    details: {
      file,
      pointer: first.pointer,
      ...(problems.length > 1 ? { others: problems.slice(1).map((p) => `${p.pointer || '(top level)'} ${p.text}`) } : {}),
    },
  });
}
