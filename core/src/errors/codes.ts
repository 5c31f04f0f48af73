// SPDX-License-Identifier: Apache-2.0
import { CellaError, type CellaErrorOptions, type ErrorCategory } from './cella-error';

/**
 * The registry of core error codes. Plugins declare theirs with `defineErrorCodes` (scope `E_<KIND>_`).
 * Two declarations of one code must agree on its category (a test checks the core registry for duplicates).
 */
const registry = new Map<string, { category: ErrorCategory; owner: string }>();

export interface ErrorCode {
  readonly code: string;
  readonly category: ErrorCategory;
  /** Make the error: `E.CONFIG_INVALID.create('Config is invalid', { details })`. */
  create(message: string, options?: Omit<CellaErrorOptions, 'category'>): CellaError;
}

export function defineErrorCodes<K extends string>(owner: string, defs: Record<K, ErrorCategory>): Record<K, ErrorCode> {
  const out = {} as Record<K, ErrorCode>;
  for (const key of Object.keys(defs) as K[]) {
    const code = `E_${key}`;
    const category = defs[key];
    const prev = registry.get(code);
    // Two backends of one kind may share a code (E_HYPERVISOR_START): fine while the meaning (category) agrees.
    if (prev && prev.owner !== owner && prev.category !== category) {
      throw new Error(`error code ${code} is declared by ${prev.owner} as ${prev.category} and by ${owner} as ${category}`);
    }
    registry.set(code, { category, owner });
    out[key] = { code, category, create: (message, options = {}) => new CellaError(code, message, { ...options, category }) };
  }
  return out;
}

export function registeredErrorCodes(): ReadonlyMap<string, { category: ErrorCategory; owner: string }> {
  return registry;
}

export const E = defineErrorCodes('@cella/core', {
  CONFIG_NOT_FOUND: 'NotFound',
  CONFIG_PARSE: 'InvalidArgument',
  CONFIG_INVALID: 'InvalidArgument',
  PLUGIN_NOT_FOUND: 'NotFound',
  PLUGIN_MANIFEST: 'InvalidArgument',
  PLUGIN_API_VERSION: 'FailedPrecondition',
  PLUGIN_LOAD: 'Internal',
  PLUGIN_SKIPPED: 'Unavailable',
  PLUGIN_ROLE: 'InvalidArgument',
  BUNDLE_NOT_FOUND: 'NotFound',
  BUNDLE_INVALID: 'InvalidArgument',
  STATE_LOCKED: 'Unavailable',
  STATE_CORRUPT: 'Internal',
  SANDBOX_EXISTS: 'AlreadyExists',
  SANDBOX_NOT_FOUND: 'NotFound',
  SANDBOX_BUSY: 'FailedPrecondition',
  INVALID_SIGNAL: 'InvalidArgument',
  INVALID_ARGUMENT: 'InvalidArgument',
  SANDBOX_ID: 'InvalidArgument',
  VM_DIED: 'Unavailable',
  TEARDOWN: 'Internal',
  TIMEOUT: 'Timeout',
  INTERRUPTED: 'Unavailable',
  NOT_SUPPORTED: 'NotSupported',
  INTERNAL: 'Internal',
});
