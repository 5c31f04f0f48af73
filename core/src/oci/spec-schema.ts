// SPDX-License-Identifier: Apache-2.0
import type { ErrorObject, ValidateFunction } from 'ajv';
import { E } from '../errors/codes';
import type { OciProcess, OciSpec } from './spec';

const uint32 = { type: 'integer', minimum: 0, maximum: 4294967295 };
/** A uid or gid: (uid_t)-1 = 2^32-1 means "no id" to the kernel, so it is not one. */
const id32 = { type: 'integer', minimum: 0, maximum: 4294967294 };
const uint64 = { type: 'integer', minimum: 0 };
const int64 = { type: 'integer' };
const strings = { type: 'array', items: { type: 'string' } };

/** The resource limits Linux has (getrlimit(2)); crun in the guest refuses any other name. */
export const RLIMIT_NAMES: readonly string[] = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK', 'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
];

/** The capabilities of Linux up to 5.9 (capabilities(7)), which the guest's kernel and crun know; crun refuses others. */
export const CAPABILITY_NAMES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

const capabilities = { type: 'array', items: { type: 'string', enum: CAPABILITY_NAMES } };

/** The OCI process object (config.json's `process`, an `exec --process` file). */
const PROCESS_SCHEMA = {
  type: 'object',
  required: ['cwd', 'user', 'args'],
  properties: {
    terminal: { type: 'boolean' },
    consoleSize: { type: 'object', required: ['height', 'width'], properties: { height: uint64, width: uint64 } },
    user: {
      type: 'object',
      required: ['uid', 'gid'],
      properties: { uid: id32, gid: id32, umask: uint32, additionalGids: { type: 'array', items: id32 }, username: { type: 'string' } },
    },
    args: { ...strings, minItems: 1 },
    env: strings,
    cwd: { type: 'string', pattern: '^/' },
    capabilities: {
      type: 'object',
      properties: { bounding: capabilities, effective: capabilities, inheritable: capabilities, permitted: capabilities, ambient: capabilities },
    },
    rlimits: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'soft', 'hard'],
        properties: { type: { type: 'string', enum: RLIMIT_NAMES }, soft: uint64, hard: uint64 },
      },
    },
    noNewPrivileges: { type: 'boolean' },
    apparmorProfile: { type: 'string' },
    oomScoreAdj: { type: 'integer', minimum: -1000, maximum: 1000 },
    selinuxLabel: { type: 'string' },
  },
} as const;
const idMappings = {
  type: 'array',
  items: { type: 'object', required: ['containerID', 'hostID', 'size'], properties: { containerID: uint32, hostID: uint32, size: uint32 } },
};

/**
 * JSON Schema (draft-07) of the config.json fields Cella reads, with the runtime-spec's types and required
 * members (schema/config-schema.json, config-linux.json, defs*.json of runtime-spec 1.1) plus the POSIX rules of
 * config.md the schema leaves to prose: `process.user` with uid and gid, at least one arg, an absolute cwd; and
 * what the guest's crun refuses: rlimit and capability names Linux does not know, a uid or gid of 2^32-1.
 * Unknown members are allowed everywhere: the spec lets bundles carry extensions.
 */
export const OCI_SPEC_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['ociVersion'],
  properties: {
    ociVersion: { type: 'string', minLength: 1 },
    root: { type: 'object', required: ['path'], properties: { path: { type: 'string', minLength: 1 }, readonly: { type: 'boolean' } } },
    process: PROCESS_SCHEMA,
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
        sysctl: { type: 'object', additionalProperties: { type: 'string' } },
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

const compiled = new Map<object, ValidateFunction>();

/** The compiled validator of `schema`; ajv is loaded on first use (it costs ~45 ms to require). */
function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const AjvClass = (require('ajv') as typeof import('ajv')).default;
    // allErrors: the first problem is reported, the rest go in `details.others`.
    const ajv = new AjvClass({ strict: true, allErrors: true, allowUnionTypes: true, validateSchema: false, code: { optimize: false } });
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/**
 * The field a JSON pointer names, as a user writes it: `/process/rlimits/1/type` is `process.rlimits[1].type`
 * (an index only where `doc` holds an array, so an annotation named "10" stays a key); `prefix` goes first.
 */
export function fieldOf(pointer: string, doc: unknown, prefix = ''): string {
  let out = prefix;
  let at = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

/** One ajv problem as the JSON pointer of the member at fault and a phrase. */
function problem(e: ErrorObject): { pointer: string; text: string } {
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  const pointer = missing === undefined ? e.instancePath : `${e.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  if (missing !== undefined) return { pointer, text: 'is required' };
  if (e.keyword === 'enum') {
    if (/\/rlimits\/\d+\/type$/.test(pointer)) return { pointer, text: 'is not a resource limit Linux knows (RLIMIT_NOFILE, RLIMIT_NPROC, …)' };
    if (/\/capabilities\/\w+\/\d+$/.test(pointer)) return { pointer, text: 'is not a capability Linux knows (CAP_CHOWN, CAP_KILL, …)' };
    return { pointer, text: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` };
  }
  if (e.keyword === 'pattern' && pointer.endsWith('/cwd')) return { pointer, text: 'must be an absolute path' };
  if (e.keyword === 'maximum' && /\/(uid|gid|additionalGids\/\d+)$/.test(pointer)) return { pointer, text: 'must be a uid or gid from 0 to 4294967294' };
  return { pointer, text: e.message ?? `fails ${e.keyword}` };
}

function check(schema: object, doc: unknown, file: string, what: string, prefix: string): void {
  const validate = validator(schema);
  if (validate(doc)) return;
  const problems = (validate.errors ?? []).map(problem);
  const first = problems[0] ?? { pointer: '', text: 'is invalid' };
  const field = fieldOf(first.pointer, doc, prefix) || '(top level)';
  throw E.BUNDLE_INVALID.create(`${what} is invalid: ${field} ${first.text}`, {
    details: {
      file,
      field,
      pointer: first.pointer,
      ...(problems.length > 1 ? { others: problems.slice(1).map((p) => `${fieldOf(p.pointer, doc, prefix) || '(top level)'} ${p.text}`) } : {}),
    },
  });
}

/**
 * Check a parsed config.json against `OCI_SPEC_SCHEMA`. Throws E_BUNDLE_INVALID whose message names the
 * first member at fault as a field path (`process.rlimits[1].type`); details hold the file, that field, its JSON
 * pointer, and any other problems. No value from the file is repeated.
 */
export function validateSpecSchema(spec: unknown, file: string): asserts spec is OciSpec {
  check(OCI_SPEC_SCHEMA, spec, file, "The bundle's config.json", '');
}

/** The same for a process object alone (`exec --process`), its fields named from `at` (`process`). */
export function validateProcessSchema(proc: unknown, file: string, what: string, at: string): asserts proc is OciProcess {
  check(PROCESS_SCHEMA, proc, file, what, at);
}
