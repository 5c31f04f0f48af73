// SPDX-License-Identifier: Apache-2.0
import { CellaError, defineErrorCodes } from '../errors';

/**
 * Error codes of the ttRPC framing, codec, client and server.
 * `E_TTRPC_STATUS` is registered with a nominal category; a `TtrpcStatusError` carries the category
 * that matches the remote gRPC code instead.
 */
export const TtrpcErrors = defineErrorCodes('@cella/core/ttrpc', {
  TTRPC_DECODE: 'InvalidArgument',
  TTRPC_ENCODE: 'InvalidArgument',
  TTRPC_TOO_LARGE: 'InvalidArgument',
  TTRPC_TIMEOUT: 'Timeout',
  TTRPC_CANCELLED: 'Unavailable',
  TTRPC_PROTOCOL: 'Unavailable',
  TTRPC_CLOSED: 'Unavailable',
  TTRPC_REGISTER: 'AlreadyExists',
  TTRPC_STATUS: 'Internal',
});

/** Thrown by `ProtoReader` on any malformed or truncated protobuf input. */
export class ProtoDecodeError extends CellaError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(TtrpcErrors.TTRPC_DECODE.code, message, { category: TtrpcErrors.TTRPC_DECODE.category, details });
  }
}
