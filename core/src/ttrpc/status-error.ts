// SPDX-License-Identifier: Apache-2.0
import { CATEGORY_STATUS, CellaError, categoryFromGrpc, errorChain, isCellaError, registeredErrorCodes } from '../errors';
import { GrpcCode, type RpcStatus } from './messages';
import { TtrpcErrors } from './ttrpc-errors';

/** Longest piece of the remote message that goes into `TtrpcStatusError.message`. */
export const MAX_REMOTE_MESSAGE_IN_ERROR = 512;
/** Longest status message `statusFromError` produces, so an error answer always fits in a frame. */
export const MAX_STATUS_MESSAGE = 32 * 1024;

const CODE_PREFIX = /^\[(E_[A-Z0-9_]{1,64})\] /;

/**
 * A call that the peer answered with a non-zero status. Its category follows the gRPC code
 * (`categoryFromGrpc`). A handler may also throw one to answer with an exact code and message
 * (`statusFromError` sends `grpcCode` and `remoteMessage` unchanged).
 */
export class TtrpcStatusError extends CellaError {
  readonly grpcCode: number;
  /** The peer's full status message. */
  readonly remoteMessage: string;
  /** The CellaError code the peer put in front of its message (`[E_...] `), when there is one. */
  readonly remoteCode: string | undefined;

  constructor(grpcCode: number, remoteMessage: string, details: Record<string, unknown> = {}) {
    const shown = remoteMessage.length > MAX_REMOTE_MESSAGE_IN_ERROR
      ? `${remoteMessage.slice(0, MAX_REMOTE_MESSAGE_IN_ERROR)}…`
      : remoteMessage;
    super(TtrpcErrors.TTRPC_STATUS.code, `Remote call failed: ${shown}`, {
      category: categoryFromGrpc(grpcCode),
      details: { ...details, grpcCode },
    });
    this.grpcCode = grpcCode;
    this.remoteMessage = remoteMessage;
    this.remoteCode = CODE_PREFIX.exec(remoteMessage)?.[1];
  }

  /**
   * The peer's error rebuilt for the user: its `[E_…]` code and its message without the prefix (bounded), in the
   * category the code is registered with here, else the gRPC code's. Undefined when the peer sent no code.
   */
  remoteError(details: Record<string, unknown> = this.details): CellaError | undefined {
    if (this.remoteCode === undefined) return undefined;
    const text = this.remoteMessage.replace(CODE_PREFIX, '');
    const message = text.length > MAX_REMOTE_MESSAGE_IN_ERROR ? `${text.slice(0, MAX_REMOTE_MESSAGE_IN_ERROR)}…` : text;
    const category = registeredErrorCodes().get(this.remoteCode)?.category ?? this.category;
    return new CellaError(this.remoteCode, message.length > 0 ? message : 'The peer reported an error', { category, details });
  }
}

/**
 * The status a server sends for a failed handler:
 * - `TtrpcStatusError`: its own code and remote message;
 * - `CellaError`: the category's gRPC code, message `[<code>] <message>: <cause>…`;
 * - anything else: 2 UNKNOWN with its message.
 */
export function statusFromError(err: unknown): RpcStatus {
  if (err instanceof TtrpcStatusError) return { code: err.grpcCode, message: bound(err.remoteMessage) };
  if (isCellaError(err)) {
    const grpc = CATEGORY_STATUS[err.category]?.grpc ?? GrpcCode.INTERNAL;
    return { code: grpc, message: bound(`[${err.code}] ${errorChain(err).join(': ')}`) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: GrpcCode.UNKNOWN, message: bound(message) };
}

function bound(message: string): string {
  return message.length > MAX_STATUS_MESSAGE ? `${message.slice(0, MAX_STATUS_MESSAGE)}…` : message;
}
