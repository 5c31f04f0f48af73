// SPDX-License-Identifier: Apache-2.0
import { CellaError, isCellaError } from '@cella/core/errors';
import { TtrpcErrors, TtrpcStatusError } from '@cella/core/ttrpc';
import { AgentErrors } from './agent-errors';

const MAX_MESSAGE = 512;

/**
 * Turns what a failed agent call threw into the error the GuestAgent port promises:
 * - a status the guest sent: a CellaError with the `[E_…]` code it carried (category from the code
 *   registry, else from the gRPC code), or E_AGENT_REMOTE with the gRPC code's category;
 * - ttRPC timeout / protocol / closed: E_AGENT_TIMEOUT / E_AGENT_PROTOCOL / E_AGENT_DISCONNECTED;
 * - anything else (E_AGENT_* from a decoder, an abort reason): unchanged.
 */
export function toAgentError(err: unknown, method: string): unknown {
  if (err instanceof TtrpcStatusError) return fromStatus(err, method);
  if (!isCellaError(err)) return err;
  const details = { method, ...err.details };
  switch (err.code) {
    case TtrpcErrors.TTRPC_TIMEOUT.code:
      return AgentErrors.AGENT_TIMEOUT.create('The agent did not answer in time', { details, cause: err });
    case TtrpcErrors.TTRPC_PROTOCOL.code:
    case TtrpcErrors.TTRPC_DECODE.code:
      return AgentErrors.AGENT_PROTOCOL.create('The agent broke the protocol', { details, cause: err });
    case TtrpcErrors.TTRPC_CLOSED.code:
      return causeIsProtocol(err)
        ? AgentErrors.AGENT_PROTOCOL.create('The agent broke the protocol', { details, cause: err })
        : AgentErrors.AGENT_DISCONNECTED.create('The connection to the agent was lost', { details, cause: err });
    default:
      return err;
  }
}

function fromStatus(err: TtrpcStatusError, method: string): CellaError {
  const details = { method, grpcCode: err.grpcCode };
  // A code the guest sent keeps its registered category (an unknown one the gRPC code's); none: E_AGENT_REMOTE.
  const remote = err.remoteError(details);
  const text = remote ? remote.message : bounded(err.remoteMessage);
  const message = text.length > 0 ? capitalise(text) : 'The agent reported an error';
  return new CellaError(remote?.code ?? AgentErrors.AGENT_REMOTE.code, message, { category: remote?.category ?? err.category, details });
}

function causeIsProtocol(err: CellaError): boolean {
  return isCellaError(err.cause, TtrpcErrors.TTRPC_PROTOCOL.code);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function bounded(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}
