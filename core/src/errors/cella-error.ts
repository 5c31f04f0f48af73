// SPDX-License-Identifier: Apache-2.0
/**
 * The one error type of Cella. Callers branch on `code` or `category`, never on message text.
 * The message is one capitalised sentence that does not repeat its cause; the CLI prints the chain.
 */

/** Closed set of categories, after containerd's errdefs. */
export type ErrorCategory =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'NotSupported'
  | 'Timeout'
  | 'Internal';

export interface CellaErrorOptions {
  category: ErrorCategory;
  cause?: unknown;
  /** JSON-safe facts naming the field, file or value at fault. */
  details?: Record<string, unknown>;
  /** What the user can do about it. */
  hint?: string;
}

export class CellaError extends Error {
  override readonly name = 'CellaError';
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: CellaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = options.category;
    this.details = options.details ?? {};
    this.hint = options.hint;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, category: this.category, message: this.message };
    if (Object.keys(this.details).length > 0) out.details = this.details;
    if (this.hint) out.hint = this.hint;
    if (this.cause !== undefined) out.cause = causeToJSON(this.cause);
    return out;
  }
}

function causeToJSON(cause: unknown): unknown {
  if (cause instanceof CellaError) return cause.toJSON();
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? { message: cause.message, code } : { message: cause.message };
  }
  return String(cause);
}

export function isCellaError(err: unknown, code?: string): err is CellaError {
  return err instanceof Error && (err as CellaError).name === 'CellaError' &&
    typeof (err as CellaError).code === 'string' && (code === undefined || (err as CellaError).code === code);
}

/** Every message of the chain, outermost first, each once. */
export function errorChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 10; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    if (msg && !out.includes(msg)) out.push(msg);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/** Category → CLI exit status and → gRPC/ttRPC status code. */
export const CATEGORY_STATUS: Record<ErrorCategory, { exit: number; grpc: number }> = {
  InvalidArgument: { exit: 2, grpc: 3 },
  NotFound: { exit: 3, grpc: 5 },
  AlreadyExists: { exit: 4, grpc: 6 },
  FailedPrecondition: { exit: 5, grpc: 9 },
  Unavailable: { exit: 6, grpc: 14 },
  NotSupported: { exit: 7, grpc: 12 },
  Timeout: { exit: 8, grpc: 4 },
  Internal: { exit: 1, grpc: 13 },
};

/** gRPC status code → category (for errors coming back over the wire). */
export function categoryFromGrpc(code: number): ErrorCategory {
  for (const [cat, s] of Object.entries(CATEGORY_STATUS)) if (s.grpc === code) return cat as ErrorCategory;
  return 'Internal';
}
