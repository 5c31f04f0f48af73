// SPDX-License-Identifier: Apache-2.0
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentChannel, AgentInfo, Logger } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { TtrpcClient, TtrpcErrors, TtrpcStatusError } from '@cella/core/ttrpc';
import { toAgentError } from './agent-call-error';
import { AgentErrors } from './agent-errors';
import {
  AGENT_MAX_FRAME, AGENT_SERVICE, AgentMethod, CHECK_SERVING, decodeCheckResponse, encodeCheckRequest, protocolError,
} from './protocol/agent-messages';
import { dialChannel } from './transport/dial-channel';

export interface ConnectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Timeout of the first Check try, growing by half each try up to 2 s; late answers are ignored by stream id. */
  tryTimeoutMs?: number;
  /** Pause before dialling again when the socket is missing or closed. */
  redialDelayMs?: number;
  logger: Logger;
}

/**
 * Dials the channel and sends Check until the agent answers or the deadline passes. With virtio-serial
 * the socket accepts before the guest opened its port; requests written meanwhile are delivered later,
 * so tries are repeated on the same connection and only re-dialled when it closes or does not exist.
 * Throws E_AGENT_CONNECT_TIMEOUT (last failure as cause), a status error of the guest, or the abort reason.
 */
export async function connectAgent(channel: AgentChannel, options: ConnectOptions): Promise<{ client: TtrpcClient; info: AgentInfo }> {
  const { signal, logger } = options;
  const deadline = Date.now() + options.timeoutMs;
  // Every unanswered try stays queued in QEMU until the guest opens its port, and the agent then answers each
  // one: growing the interval keeps that backlog (and the boot-time work it costs the guest) small.
  let tryTimeoutMs = options.tryTimeoutMs ?? 500;
  const maxTryTimeoutMs = Math.max(tryTimeoutMs, 2000);
  const redialDelayMs = options.redialDelayMs ?? 100;
  let lastError: unknown;
  let tries = 0;
  const left = (): number => deadline - Date.now();

  while (left() > 0) {
    signal?.throwIfAborted();
    let client: TtrpcClient;
    try {
      const stream = await dialChannel(channel, { signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(left())]) });
      client = new TtrpcClient(stream, { maxData: AGENT_MAX_FRAME });
    } catch (err) {
      signal?.throwIfAborted();
      if (isCellaError(err, AgentErrors.AGENT_VSOCK_UNSUPPORTED.code)) throw err;
      lastError = err;
      logger.debug('Agent channel not ready', { err });
      await pause(Math.min(redialDelayMs, Math.max(left(), 0)), signal);
      continue;
    }
    while (!client.closed && left() > 0) {
      tries++;
      try {
        const payload = await client.call(AGENT_SERVICE, AgentMethod.Check, encodeCheckRequest({ service: AGENT_SERVICE }), {
          timeoutMs: Math.max(1, Math.min(tryTimeoutMs, left())), signal,
        });
        const info = checkInfo(payload);
        if (info) {
          logger.debug('Agent answered', { tries });
          return { client, info };
        }
        lastError = protocolError('The agent is not serving yet', {});
        await pause(Math.min(redialDelayMs, Math.max(left(), 0)), signal);
      } catch (err) {
        if (signal?.aborted) { client.close(); throw signal.reason; }
        if (err instanceof TtrpcStatusError) { client.close(); throw toAgentError(err, AgentMethod.Check); }
        lastError = toAgentError(err, AgentMethod.Check);
        if (!isCellaError(err, TtrpcErrors.TTRPC_TIMEOUT.code)) break;
        tryTimeoutMs = Math.min(maxTryTimeoutMs, Math.round(tryTimeoutMs * 1.5));
      }
    }
    client.close();
    if (left() > 0) await pause(Math.min(redialDelayMs, left()), signal);
  }
  throw AgentErrors.AGENT_CONNECT_TIMEOUT.create('The guest agent did not answer before the deadline', {
    details: { channel, timeoutMs: options.timeoutMs, tries },
    cause: lastError,
    hint: 'check the guest console log for the agent\'s errors; a slow host (no KVM) may need a longer timeout',
  });
}

/** Validates a Check answer; `undefined` when the agent is up but not serving. */
export function checkInfo(payload: Buffer): AgentInfo | undefined {
  const m = decodeCheckResponse(payload);
  if (m.status !== CHECK_SERVING) return undefined;
  if (m.agentVersion.length === 0) throw protocolError('The agent did not report its version', {});
  return { agentVersion: m.agentVersion, kernelRelease: m.kernelRelease };
}

async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms > 0) await sleep(ms, undefined, signal ? { signal } : undefined).catch(() => signal?.throwIfAborted());
}
