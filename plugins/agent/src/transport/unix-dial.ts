// SPDX-License-Identifier: Apache-2.0
import { connect, type Socket } from 'node:net';
import { AgentErrors } from '../agent-errors';

/**
 * Connects to a unix socket. Rejects with E_AGENT_DIAL (the errno error as cause; `ENOENT` and
 * `ECONNREFUSED` mean "not there yet" to a caller that retries), or with the signal's reason.
 */
export function connectUnix(socketPath: string, signal?: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const socket = connect({ path: socketPath });
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => { cleanup(); resolve(socket); };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(AgentErrors.AGENT_DIAL.create('The agent socket cannot be opened', { details: { socketPath }, cause: err }));
    };
    const onAbort = (): void => { cleanup(); socket.destroy(); reject(signal!.reason); };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The errno code behind an E_AGENT_DIAL error, if any. */
export function dialErrno(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | undefined)?.cause as NodeJS.ErrnoException | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}
