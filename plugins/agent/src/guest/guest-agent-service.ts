// SPDX-License-Identifier: Apache-2.0
import type { TtrpcCallContext, TtrpcServer } from '@cella/core/ttrpc';
import { AgentErrors } from '../agent-errors';
import * as P from '../protocol/agent-messages';
import type { GuestClockRandom } from './guest-clock-random';
import type { GuestContainers } from './guest-containers';
import type { GuestProcess } from './guest-process';
import type { GuestSandbox } from './guest-sandbox';

type Handler = (payload: Buffer, ctx: TtrpcCallContext) => Promise<Uint8Array> | Uint8Array;

/** Registers every AgentService method on `server`: decode (bounded), act, encode. */
export function registerAgentService(server: TtrpcServer, sandbox: GuestSandbox, containers: GuestContainers, clockRandom: GuestClockRandom): void {
  const handlers: Record<P.AgentMethod, Handler> = {
    Check: (b) => { P.decodeCheckRequest(b); return P.encodeCheckResponse(sandbox.check()); },
    CreateSandbox: async (b) => { await sandbox.create(P.decodeCreateSandboxRequest(b)); return P.EMPTY; },
    DestroySandbox: (b) => { P.decodeEmpty(b); sandbox.destroy(); return P.EMPTY; },
    CreateContainer: async (b) => {
      const m = P.decodeCreateContainerRequest(b);
      if (m.execId !== '') throw invalid('execId', m.execId);
      await containers.create(m);
      return P.EMPTY;
    },
    StartContainer: async (b) => { await containers.start(P.decodeContainerRef(b, 'StartContainerRequest').containerId); return P.EMPTY; },
    RemoveContainer: async (b) => { await containers.remove(P.decodeRemoveContainerRequest(b).containerId); return P.EMPTY; },
    ExecProcess: async (b) => {
      const m = P.decodeExecProcessRequest(b);
      await containers.exec(m.containerId, m.execId, m.process);
      return P.EMPTY;
    },
    SignalProcess: async (b) => {
      const m = P.decodeSignalProcessRequest(b);
      await containers.signal(m.containerId, m.execId, m.signal);
      return P.EMPTY;
    },
    WaitProcess: async (b, ctx) => {
      const m = P.decodeContainerRef(b, 'WaitProcessRequest');
      const status = await untilAborted(containers.process(m.containerId, m.execId).wait(), ctx.signal);
      return P.encodeWaitProcessResponse(status);
    },
    ReadStdout: (b, ctx) => readStream(containers, b, ctx, 'stdout'),
    ReadStderr: (b, ctx) => readStream(containers, b, ctx, 'stderr'),
    WriteStdin: async (b) => {
      const m = P.decodeWriteStreamRequest(b);
      return P.encodeWriteStreamResponse(await containers.process(m.containerId, m.execId).write(m.data));
    },
    CloseStdin: (b) => {
      const m = P.decodeContainerRef(b, 'CloseStdinRequest');
      containers.process(m.containerId, m.execId).closeStdin();
      return P.EMPTY;
    },
    TtyWinResize: (b) => {
      const m = P.decodeTtyWinResizeRequest(b);
      containers.process(m.containerId, m.execId).resize(m.rows, m.columns);
      return P.EMPTY;
    },
    UpdateInterface: async (b) => P.encodeInterface(await sandbox.updateInterface(P.decodeUpdateInterfaceRequest(b))),
    UpdateRoutes: async (b) => P.encodeRoutes(await sandbox.updateRoutes(P.decodeUpdateRoutesRequest(b))),
    AddARPNeighbors: async (b) => { await sandbox.addNeighbors(P.decodeAddArpNeighborsRequest(b)); return P.EMPTY; },
    StatsContainer: async (b) => P.encodeStatsContainerResponse(await containers.stats(P.decodeContainerRef(b, 'StatsContainerRequest').containerId)),
    SetGuestDateTime: (b) => {
      const m = P.decodeSetGuestDateTimeRequest(b);
      clockRandom.setTime(m.sec, m.usec);
      return P.EMPTY;
    },
    ReseedRandomDev: (b) => {
      const seed = P.decodeReseedRandomDevRequest(b);
      try {
        clockRandom.reseed(seed);
      } finally {
        seed.fill(0);
      }
      return P.EMPTY;
    },
  };
  for (const [method, handler] of Object.entries(handlers)) server.register(P.AGENT_SERVICE, method, handler);
}

async function readStream(containers: GuestContainers, b: Buffer, ctx: TtrpcCallContext, which: 'stdout' | 'stderr'): Promise<Uint8Array> {
  const m = P.decodeReadStreamRequest(b);
  if (m.len < 1) throw invalid('len', m.len);
  const proc: GuestProcess = containers.process(m.containerId, m.execId);
  const data = await proc[which].read(Math.min(m.len, P.WireLimits.data), ctx.signal);
  ctx.signal.throwIfAborted();
  return P.encodeReadStreamResponse(data ? { data, eof: false } : { data: Buffer.alloc(0), eof: true });
}

/** Waits for `p`, but gives up (rejecting with the reason) when the call is aborted. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function invalid(field: string, value: unknown): Error {
  return AgentErrors.AGENT_INVALID_ARGUMENT.create('A request field is invalid', { details: { field, value: String(value).slice(0, 256) } });
}
