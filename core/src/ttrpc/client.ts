// SPDX-License-Identifier: Apache-2.0
import type { Duplex } from 'node:stream';
import type { CellaError } from '../errors';
import { encodeFrame, FrameDecoder, MessageType, TTRPC_MAX_DATA, type DecodedItem } from './frame';
import { decodeResponse, encodeRequest, type KeyValue, type TtrpcResponse } from './messages';
import { TtrpcStatusError } from './status-error';
import { TtrpcErrors } from './ttrpc-errors';

export interface TtrpcClientOptions {
  /** Frame data limit in both directions; default 4 MiB. */
  maxData?: number;
  /** Timeout of calls that do not give one; default none. */
  defaultTimeoutMs?: number;
}

export interface TtrpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  metadata?: KeyValue[];
}

interface Pending {
  service: string;
  method: string;
  resolve(payload: Buffer): void;
  reject(err: Error): void;
}

/** Longest delay Node's setTimeout honours; longer timeouts are still sent to the peer but not timed here. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Unary ttRPC client over one byte stream. Calls use stream ids 1, 3, 5, … and run concurrently.
 * The peer may be untrusted: frames are bounded by `maxData`, and an oversized or undecodable
 * frame closes the connection (E_TTRPC_PROTOCOL). Responses for unknown stream ids are ignored.
 */
export class TtrpcClient {
  private readonly decoder: FrameDecoder;
  private readonly maxData: number;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(err?: Error) => void>();
  private nextId = 1;
  private closeError: Error | undefined;
  private isClosed = false;

  constructor(private readonly stream: Duplex, private readonly options: TtrpcClientOptions = {}) {
    this.maxData = options.maxData ?? TTRPC_MAX_DATA;
    this.decoder = new FrameDecoder(this.maxData);
    stream.on('data', (chunk: Buffer | string) => this.onData(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.on('end', () => this.shutdown(closedError('The ttRPC connection was closed by the peer')));
    stream.on('close', () => this.shutdown(closedError('The ttRPC connection was closed by the peer')));
    stream.on('error', (err) => this.shutdown(closedError('The ttRPC connection failed', err)));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  call(service: string, method: string, payload: Uint8Array, options: TtrpcCallOptions = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.isClosed) return reject(this.closeError ?? closedError('The ttRPC client is closed'));
      const { signal, metadata } = options;
      if (signal?.aborted) return reject(cancelledError(service, method, signal.reason));
      const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
      const timed = timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs);
      const streamId = this.nextId;
      if (streamId > 0xffffffff) return reject(closedError('The ttRPC connection has used up its stream ids'));
      let frame: Buffer;
      try {
        const data = encodeRequest({
          service, method, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), metadata,
          timeoutNano: timed ? BigInt(Math.ceil(timeoutMs * 1e6)) : undefined,
        });
        frame = encodeFrame({ streamId, type: MessageType.Request, flags: 0, data }, this.maxData);
      } catch (err) {
        return reject(err);
      }
      this.nextId += 2;

      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(cancelledError(service, method, signal!.reason));
      const settle = (err: Error | undefined, result?: Buffer): void => {
        if (this.pending.get(streamId) !== entry) return;
        this.pending.delete(streamId);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(result!);
      };
      const entry: Pending = { service, method, resolve: (p) => settle(undefined, p), reject: (e) => settle(e) };
      this.pending.set(streamId, entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timed && timeoutMs <= MAX_TIMER_MS) {
        timer = setTimeout(() => settle(TtrpcErrors.TTRPC_TIMEOUT.create('The ttRPC call timed out', {
          details: { service, method, streamId, timeoutMs },
        })), timeoutMs);
      }
      this.stream.write(frame);
    });
  }

  /** Called once when the connection closes: with the reason, or without one after `close()`. */
  onClose(listener: (err?: Error) => void): { dispose(): void } {
    if (this.isClosed) {
      const err = this.closeError;
      queueMicrotask(() => listener(err));
      return { dispose: () => undefined };
    }
    this.listeners.add(listener);
    return { dispose: () => { this.listeners.delete(listener); } };
  }

  /** Closes the connection; pending calls reject with E_TTRPC_CLOSED. Idempotent. */
  close(): void {
    this.shutdown(undefined);
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    const items: DecodedItem[] = this.decoder.push(chunk);
    for (const item of items) {
      if (this.isClosed) return;
      if (item.kind === 'oversized') {
        this.protocolError(`The ttRPC peer sent a frame of ${item.length} bytes, above the ${this.maxData} byte limit`,
          { streamId: item.streamId, type: item.type, length: item.length, max: this.maxData });
        return;
      }
      const { frame } = item;
      if (frame.type !== MessageType.Response) continue;
      const entry = this.pending.get(frame.streamId);
      if (!entry) continue;
      let response: TtrpcResponse;
      try {
        response = decodeResponse(frame.data);
      } catch (err) {
        this.protocolError('The ttRPC peer sent a response that does not decode',
          { streamId: frame.streamId, length: frame.data.length }, err);
        return;
      }
      const { status } = response;
      if (status && status.code !== 0) {
        entry.reject(new TtrpcStatusError(status.code, status.message, { service: entry.service, method: entry.method }));
      } else {
        entry.resolve(response.payload);
      }
    }
  }

  private protocolError(message: string, details: Record<string, unknown>, cause?: unknown): void {
    this.shutdown(TtrpcErrors.TTRPC_PROTOCOL.create(message, { details, cause }));
  }

  /** `reason` undefined means a local close(). */
  private shutdown(reason: CellaError | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeError = reason;
    const err = reason ?? closedError('The ttRPC client was closed');
    for (const entry of [...this.pending.values()]) entry.reject(err);
    this.pending.clear();
    this.stream.destroy();
    for (const listener of [...this.listeners]) listener(reason);
    this.listeners.clear();
  }
}

function closedError(message: string, cause?: unknown): CellaError {
  return TtrpcErrors.TTRPC_CLOSED.create(message, cause === undefined ? {} : { cause });
}

function cancelledError(service: string, method: string, reason: unknown): CellaError {
  return TtrpcErrors.TTRPC_CANCELLED.create('The ttRPC call was cancelled', { details: { service, method }, cause: reason });
}
