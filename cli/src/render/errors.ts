// SPDX-License-Identifier: Apache-2.0
import { CellaError, errorChain, isCellaError, type ErrorCategory } from '@cella/core/errors';

/** Exit status of a failed command: 1, as runc (see docs/adr/0003-exit-status.md). */
export const ERROR_EXIT_STATUS = 1;

/** The error as the user reads it: the message, its causes once each, the facts that name the culprit, a hint. */
export function renderError(err: unknown): string {
  const chain = errorChain(err);
  const lines = [`cella: error: ${chain[0] ?? 'unknown error'}`];
  for (const c of chain.slice(1)) lines.push(`  caused by: ${c}`);
  if (isCellaError(err)) {
    const details = err.details as Record<string, unknown>;
    if (Array.isArray(details.problems)) {
      // Config problems are already one per line in the message.
    } else {
      for (const [k, v] of Object.entries(details)) {
        if (v === undefined) continue;
        lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      }
    }
    if (err.hint) lines.push(`  hint: ${err.hint}`);
    lines.push(`  (${err.code})`);
  }
  return lines.join('\n');
}

export function errorJson(err: unknown): Record<string, unknown> {
  if (isCellaError(err)) return { error: err.toJSON() };
  return { error: { code: 'E_INTERNAL', category: 'Internal', message: err instanceof Error ? err.message : String(err) } };
}

/** Rebuild an error another process sent as `CellaError.toJSON()` (the holder's report), causes included. */
export function errorFromJson(j: Record<string, unknown>): Error {
  const cause = j.cause && typeof j.cause === 'object' ? errorFromJson(j.cause as Record<string, unknown>) : undefined;
  if (typeof j.code === 'string' && typeof j.category === 'string') {
    return new CellaError(j.code, String(j.message), {
      category: j.category as ErrorCategory, cause, hint: typeof j.hint === 'string' ? j.hint : undefined,
      details: (j.details as Record<string, unknown> | undefined) ?? {},
    });
  }
  return new Error(String(j.message ?? 'unknown error'), cause ? { cause } : undefined);
}
