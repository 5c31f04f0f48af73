// SPDX-License-Identifier: Apache-2.0
import type {
  AgentChannel, AgentInfo, CreateContainerRequest, CreateSandboxRequest, GuestAgent, Logger, OciProcess, SandboxContext,
} from '@cella/core';
import type { Disposable } from '@cella/core/di';
import type { TtrpcClient } from '@cella/core/ttrpc';
import { toAgentError } from './agent-call-error';
import { connectAgent, checkInfo } from './agent-connector';
import { AgentErrors } from './agent-errors';
import { guestHostname } from './image/cella-guest-image';
import * as P from './protocol/agent-messages';

export interface CellaGuestAgentOptions {
  /** Timeout of every call but the blocking ones (wait, reads, writes). */
  callTimeoutMs: number;
}

/** Means "no timeout" to the ttRPC client. */
const BLOCKING = 0;

/**
 * The host side of the Cella guest agent: ttRPC over the sandbox's agent channel.
 * Everything the guest returns is decoded with bounds and checked against the request; errors the guest
 * reports come back as CellaErrors with the code it sent (see `toAgentError`).
 */
export class CellaGuestAgent implements GuestAgent {
  private client: TtrpcClient | undefined;
  private isClosed = false;
  private readonly listeners = new Set<(err?: Error) => void>();
  private readonly logger: Logger;

  constructor(sandbox: SandboxContext, private readonly options: CellaGuestAgentOptions) {
    this.logger = sandbox.logger.child({ name: 'agent.cella:CellaGuestAgent' });
  }

  async connect(channel: AgentChannel, options: { timeoutMs: number; signal?: AbortSignal }): Promise<AgentInfo> {
    if (this.isClosed) throw AgentErrors.AGENT_NOT_CONNECTED.create('The agent client is closed');
    if (this.client) throw AgentErrors.AGENT_STATE.create('The agent client is connected already');
    const { client, info } = await connectAgent(channel, { ...options, logger: this.logger });
    if (this.isClosed) {
      client.close();
      throw AgentErrors.AGENT_NOT_CONNECTED.create('The agent client is closed');
    }
    this.client = client;
    client.onClose((err) => {
      if (err) this.logger.warn('Agent connection lost', { err });
      for (const listener of [...this.listeners]) listener(err);
    });
    this.logger.info('Agent connected', { agentVersion: info.agentVersion, kernelRelease: info.kernelRelease });
    return info;
  }

  async check(): Promise<AgentInfo> {
    const info = checkInfo(await this.call(P.AgentMethod.Check, P.encodeCheckRequest({ service: P.AGENT_SERVICE })));
    if (!info) throw AgentErrors.AGENT_STATE.create('The agent is not serving');
    return info;
  }

  async createSandbox(req: CreateSandboxRequest): Promise<void> {
    checkId('sandboxId', req.sandboxId);
    for (const iface of req.interfaces) {
      P.decodeInterface(await this.call(P.AgentMethod.UpdateInterface, P.encodeUpdateInterfaceRequest(iface)));
    }
    if (req.routes.length > 0) P.decodeRoutes(await this.call(P.AgentMethod.UpdateRoutes, P.encodeUpdateRoutesRequest(req.routes)));
    if (req.neighbors.length > 0) await this.call(P.AgentMethod.AddARPNeighbors, P.encodeAddArpNeighborsRequest(req.neighbors));
    const msg = { sandboxId: req.sandboxId, hostname: guestHostname(req.hostname), dns: [], storages: req.storages };
    await this.call(P.AgentMethod.CreateSandbox, P.encodeCreateSandboxRequest(msg));
  }

  async createContainer(req: CreateContainerRequest): Promise<void> {
    checkId('containerId', req.containerId);
    const msg = { containerId: req.containerId, execId: '', storages: req.storages, spec: req.spec };
    await this.call(P.AgentMethod.CreateContainer, P.encodeCreateContainerRequest(msg));
  }

  async startContainer(containerId: string): Promise<void> {
    checkId('containerId', containerId);
    await this.call(P.AgentMethod.StartContainer, P.encodeContainerRef({ containerId, execId: '' }));
  }

  async exec(containerId: string, execId: string, process: OciProcess): Promise<void> {
    checkRef(containerId, execId, false);
    await this.call(P.AgentMethod.ExecProcess, P.encodeExecProcessRequest({ containerId, execId, process }));
  }

  async signal(containerId: string, execId: string, signal: number): Promise<void> {
    checkRef(containerId, execId, true);
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) throw invalid('signal', signal);
    await this.call(P.AgentMethod.SignalProcess, P.encodeSignalProcessRequest({ containerId, execId, signal }));
  }

  async wait(containerId: string, execId: string): Promise<number> {
    checkRef(containerId, execId, true);
    const payload = await this.call(P.AgentMethod.WaitProcess, P.encodeContainerRef({ containerId, execId }), BLOCKING);
    const { status } = P.decodeWaitProcessResponse(payload);
    if (status < 0 || status > 255) throw P.protocolError('The exit status is out of range', { status });
    return status;
  }

  readStdout(containerId: string, execId: string, max: number): Promise<Buffer | undefined> {
    return this.read(P.AgentMethod.ReadStdout, containerId, execId, max);
  }

  readStderr(containerId: string, execId: string, max: number): Promise<Buffer | undefined> {
    return this.read(P.AgentMethod.ReadStderr, containerId, execId, max);
  }

  /** Writes all of `data` (in 1 MiB messages); blocks while the process does not read its stdin. */
  async writeStdin(containerId: string, execId: string, data: Buffer): Promise<number> {
    checkRef(containerId, execId, true);
    let written = 0;
    while (written < data.length) {
      const chunk = data.subarray(written, written + P.WireLimits.data);
      const payload = await this.call(P.AgentMethod.WriteStdin, P.encodeWriteStreamRequest({ containerId, execId, data: chunk }), BLOCKING);
      const n = P.decodeWriteStreamResponse(payload, chunk.length);
      written += n;
      if (n < chunk.length) break;
    }
    return written;
  }

  async closeStdin(containerId: string, execId: string): Promise<void> {
    checkRef(containerId, execId, true);
    await this.call(P.AgentMethod.CloseStdin, P.encodeContainerRef({ containerId, execId }));
  }

  async resizeTty(containerId: string, execId: string, rows: number, columns: number): Promise<void> {
    checkRef(containerId, execId, true);
    if (!Number.isInteger(rows) || rows < 0 || rows > 0xffff) throw invalid('rows', rows);
    if (!Number.isInteger(columns) || columns < 0 || columns > 0xffff) throw invalid('columns', columns);
    await this.call(P.AgentMethod.TtyWinResize, P.encodeTtyWinResizeRequest({ containerId, execId, rows, columns }));
  }

  async removeContainer(containerId: string): Promise<void> {
    checkId('containerId', containerId);
    await this.call(P.AgentMethod.RemoveContainer, P.encodeRemoveContainerRequest({ containerId, timeoutSeconds: 0 }));
  }

  /** The container's cgroup counters in the guest (Kata's StatsContainer); all zero before it runs. */
  async statsContainer(containerId: string): Promise<P.CgroupStats> {
    checkId('containerId', containerId);
    return P.decodeStatsContainerResponse(await this.call(P.AgentMethod.StatsContainer, P.encodeContainerRef({ containerId, execId: '' })));
  }

  /** For a guest restored from a saved VM: sets its wall clock (Kata's SetGuestDateTime). */
  async setGuestTime(epochMs: number): Promise<void> {
    if (!Number.isFinite(epochMs) || epochMs < P.GUEST_TIME_MIN_SEC * 1000 || epochMs >= P.GUEST_TIME_END_SEC * 1000) {
      throw invalid('epochMs', epochMs);
    }
    const sec = Math.floor(epochMs / 1000);
    const usec = Math.min(P.GUEST_TIME_MAX_USEC, Math.floor((epochMs - sec * 1000) * 1000));
    P.decodeEmpty(await this.call(P.AgentMethod.SetGuestDateTime, P.encodeSetGuestDateTimeRequest({ sec, usec })));
  }

  /** For a guest restored from a saved VM: mixes `seed` into its random pool and reseeds its CRNG (Kata's ReseedRandomDev). */
  async reseedRandom(seed: Buffer): Promise<void> {
    // The seed is a secret: errors give its length only.
    if (!Buffer.isBuffer(seed) || seed.length < P.RESEED_MIN_BYTES || seed.length > P.RESEED_MAX_BYTES) {
      throw invalid('seed', Buffer.isBuffer(seed) ? `${seed.length} bytes (${P.RESEED_MIN_BYTES} to ${P.RESEED_MAX_BYTES} allowed)` : typeof seed);
    }
    const payload = P.encodeReseedRandomDevRequest(seed);
    try {
      P.decodeEmpty(await this.call(P.AgentMethod.ReseedRandomDev, payload));
    } finally {
      payload.fill(0);
    }
  }

  /** The guest answers, then unmounts everything and powers off: the connection closes soon after. */
  async destroySandbox(): Promise<void> {
    await this.call(P.AgentMethod.DestroySandbox, P.EMPTY);
  }

  onDidDisconnect(listener: (err?: Error) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => { this.listeners.delete(listener); } };
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.client?.close();
  }

  private async read(method: string, containerId: string, execId: string, max: number): Promise<Buffer | undefined> {
    checkRef(containerId, execId, true);
    if (!Number.isInteger(max) || max < 1) throw invalid('max', max);
    const len = Math.min(max, P.WireLimits.data);
    const payload = await this.call(method, P.encodeReadStreamRequest({ containerId, execId, len }), BLOCKING);
    const res = P.decodeReadStreamResponse(payload, len);
    return res.eof ? undefined : res.data;
  }

  private async call(method: string, payload: Buffer, timeoutMs: number = this.options.callTimeoutMs): Promise<Buffer> {
    const client = this.client;
    if (!client || this.isClosed) throw AgentErrors.AGENT_NOT_CONNECTED.create('The agent is not connected', { details: { method } });
    try {
      return await client.call(P.AGENT_SERVICE, method, payload, { timeoutMs });
    } catch (err) {
      throw toAgentError(err, method);
    }
  }
}

function checkId(field: string, id: string): void {
  if (!P.AGENT_ID_PATTERN.test(id)) throw invalid(field, id);
}

function checkRef(containerId: string, execId: string, execMayBeEmpty: boolean): void {
  checkId('containerId', containerId);
  if (execId === '' && execMayBeEmpty) return;
  checkId('execId', execId);
}

function invalid(field: string, value: unknown): Error {
  return AgentErrors.AGENT_INVALID_ARGUMENT.create('An agent call argument is invalid', { details: { field, value: String(value).slice(0, 256) } });
}
