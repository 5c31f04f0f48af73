// SPDX-License-Identifier: Apache-2.0
import { E } from '../errors/codes';
import { ACCEPTED_OCI_VERSIONS, isAcceptedOciVersion } from './oci-version';
import type { OciProcess, OciSpec } from './spec';
import { validateProcessSchema, validateSpecSchema } from './spec-schema';

/**
 * The largest spec the guest agent takes (its wire limit for OCI JSON, plugins/agent/src/protocol/wire-limits.ts
 * `ociJson`): a larger one would only be refused after the VM booted.
 */
export const GUEST_SPEC_LIMIT_BYTES = 1024 * 1024;

/** Sysctls of the IPC namespace (besides `fs.mqueue.*`), as runc and crun list them. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/**
 * Fields of runtime-spec 1.2 and 1.3 that the guest's crun 1.8.1 does not apply: refused rather than dropped
 * without a word (docs/adr/0014).
 */
const NOT_HONOURED: ReadonlyArray<readonly [string, (s: OciSpec) => unknown]> = [
  ['process.ioPriority', (s) => s.process?.ioPriority],
  ['process.scheduler', (s) => s.process?.scheduler],
  ['process.execCPUAffinity', (s) => s.process?.execCPUAffinity],
  ['linux.memoryPolicy', (s) => s.linux?.memoryPolicy],
  ['linux.netDevices', (s) => s.linux?.netDevices],
];

function invalid(file: string, field: string, problem: string, extra: Record<string, unknown> = {}): never {
  throw E.BUNDLE_INVALID.create(`The bundle's config.json is invalid: ${field} ${problem}`, { details: { file, field, ...extra } });
}

/**
 * Everything about a parsed config.json that can be known without the host's state, checked before anything is
 * made: the runtime-spec schema (spec-schema.ts), then what the guest's crun and agent would refuse only after
 * the VM booted (the version, duplicate namespaces, sysctls, fields crun ignores, the agent's size limit), and
 * what Cella needs (a process, a root). The message names the field; no value of the file is repeated beyond a
 * name the user wrote.
 */
export function validateSpec(raw: unknown, file: string): asserts raw is OciSpec {
  validateSpecSchema(raw, file);
  const spec = raw;
  if (!isAcceptedOciVersion(spec.ociVersion)) {
    invalid(file, 'ociVersion', `is not a runtime-spec version Cella accepts (${ACCEPTED_OCI_VERSIONS})`, { ociVersion: spec.ociVersion.slice(0, 64) });
  }
  if (spec.root === undefined) invalid(file, 'root', 'is required (the container\'s root filesystem)');
  if (spec.process === undefined) invalid(file, 'process', 'is required (what the container runs)');
  spec.mounts?.forEach((m, i) => {
    if (!m.destination.startsWith('/')) invalid(file, `mounts[${i}].destination`, 'must be an absolute path');
  });
  const seen = new Map<string, number>();
  spec.linux?.namespaces?.forEach((n, i) => {
    const first = seen.get(n.type);
    if (first !== undefined) invalid(file, `linux.namespaces[${i}].type`, `repeats linux.namespaces[${first}] (one entry per namespace type)`);
    seen.set(n.type, i);
  });
  for (const name of Object.keys((spec.linux?.sysctl ?? {}) as Record<string, string>)) checkSysctl(file, name, seen);
  for (const [field, get] of NOT_HONOURED) {
    if (get(spec) !== undefined) invalid(file, field, 'is not supported: the guest\'s crun 1.8.1 would not apply it');
  }
  const bytes = Buffer.byteLength(JSON.stringify(spec));
  if (bytes > GUEST_SPEC_LIMIT_BYTES) invalid(file, '(whole spec)', `is ${bytes} bytes, over the guest agent's limit of ${GUEST_SPEC_LIMIT_BYTES}`);
}

/** runc's rule (libcontainer/configs/validate): a sysctl is allowed only in a namespace the container has of its own. */
function checkSysctl(file: string, name: string, namespaces: ReadonlyMap<string, number>): void {
  const field = `linux.sysctl[${JSON.stringify(name)}]`;
  const needs = (type: string): void => {
    if (!namespaces.has(type)) invalid(file, field, `needs a ${type} namespace of the container's own (linux.namespaces has none)`);
  };
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return needs('ipc');
  if (name.startsWith('net.')) return needs('network');
  if (name === 'kernel.domainname') return needs('uts');
  if (name === 'kernel.hostname') invalid(file, field, 'conflicts with the spec\'s hostname field: set hostname instead');
  invalid(file, field, 'is not in a namespace of its own: it would change the whole guest kernel, not the container');
}

/** Validate an OCI process object (config.json's `process`, `exec --process`, exec flags); `at` prefixes its fields. */
export function validateProcess(p: unknown, file: string, at: string): asserts p is OciProcess {
  validateProcessSchema(p, file, 'The process', at);
}
