// SPDX-License-Identifier: Apache-2.0
import type { Socket } from 'node:net';
import { AgentErrors } from '../agent-errors';

/** Longest answer line the handshake reads (Firecracker answers `OK <host port>\n`). */
export const HANDSHAKE_MAX_BYTES = 64;
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The hybrid-vsock handshake of Firecracker and Cloud Hypervisor: send `CONNECT <port>\n`, expect a line
 * starting with `OK` within the timeout, reading at most 64 bytes. Bytes after the line are pushed back,
 * and the socket is left as a fresh stream for the next reader. Throws E_AGENT_HANDSHAKE.
 */
export function hybridVsockHandshake(
  socket: Socket,
  port: number,
  options: { timeoutMs?: number; signal?: AbortSignal; socketPath?: string } = {},
): Promise<void> {
  const details = { socketPath: options.socketPath, port };
  return new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => fail('The hybrid-vsock handshake timed out'), options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (message: string, cause?: unknown): void => {
      cleanup();
      socket.destroy();
      reject(AgentErrors.AGENT_HANDSHAKE.create(message, { details: { ...details, answer: got.toString('latin1') }, cause }));
    };
    const onReadable = (): void => {
      for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
        const all = Buffer.concat([got, chunk]);
        const nl = all.indexOf(0x0a);
        if (nl < 0) {
          got = all;
          if (got.length >= HANDSHAKE_MAX_BYTES) return fail('The hybrid-vsock handshake answer is too long');
          continue;
        }
        got = all.subarray(0, Math.min(nl, HANDSHAKE_MAX_BYTES));
        if (nl >= HANDSHAKE_MAX_BYTES) return fail('The hybrid-vsock handshake answer is too long');
        if (!got.toString('latin1').startsWith('OK')) return fail('The hybrid-vsock handshake was refused');
        cleanup();
        const rest = all.subarray(nl + 1);
        if (rest.length > 0) socket.unshift(rest);
        return resolve();
      }
    };
    const onEnd = (): void => fail('The hybrid-vsock socket closed during the handshake');
    const onError = (err: Error): void => fail('The hybrid-vsock socket failed during the handshake', err);
    const onAbort = (): void => { cleanup(); socket.destroy(); reject(options.signal!.reason); };
    if (options.signal?.aborted) return onAbort();
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.write(`CONNECT ${port}\n`);
  });
}
