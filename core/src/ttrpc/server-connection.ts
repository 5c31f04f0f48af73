// SPDX-License-Identifier: Apache-2.0
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder, MessageType, type Frame } from './frame';
import { decodeRequest, encodeResponse, GrpcCode, type RpcStatus, type TtrpcRequest, type TtrpcResponse } from './messages';
import type { TtrpcCallContext, TtrpcHandler } from './server';
import { statusFromError } from './status-error';
import { TtrpcErrors } from './ttrpc-errors';

export interface ServerConnectionOptions {
  maxData: number;
  route(service: string, method: string): TtrpcHandler | { missing: 'service' | 'method' };
  onError?: (err: Error) => void;
}

const MAX_TIMER_MS = 0x7fffffff;

/** One connection of a `TtrpcServer`: parses frames, routes requests, writes responses. */
export class ServerConnection {
  readonly done: Promise<void>;
  private readonly decoder: FrameDecoder;
  /** Abort controllers of running handlers, by stream id. */
  private readonly active = new Map<number, AbortController>();
  private lastStreamId = 0;
  private closed = false;
  private resolveDone!: () => void;

  constructor(private readonly stream: Duplex, private readonly options: ServerConnectionOptions) {
    this.decoder = new FrameDecoder(options.maxData);
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
    stream.on('data', (chunk: Buffer | string) => this.onData(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.on('end', () => this.close());
    stream.on('close', () => this.close());
    stream.on('error', (err) => {
      this.options.onError?.(TtrpcErrors.TTRPC_CLOSED.create('The ttRPC server connection failed', { cause: err }));
      this.close();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const reason = TtrpcErrors.TTRPC_CLOSED.create('The ttRPC connection closed before the call finished');
    for (const ctrl of this.active.values()) ctrl.abort(reason);
    this.active.clear();
    this.stream.destroy();
    this.resolveDone();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    for (const item of this.decoder.push(chunk)) {
      if (this.closed) return;
      if (item.kind === 'oversized') {
        this.sendStatus(item.streamId, GrpcCode.RESOURCE_EXHAUSTED, oversizedMessage(item.length, this.options.maxData));
      } else if (item.frame.type === MessageType.Request) {
        this.onRequest(item.frame);
      }
      // Data frames and unknown types are ignored: this server speaks unary calls only.
    }
  }

  private onRequest(frame: Frame): void {
    const id = frame.streamId;
    if (id % 2 === 0) {
      return this.sendStatus(id, GrpcCode.INVALID_ARGUMENT, 'StreamID must be odd for client initiated streams');
    }
    if (id <= this.lastStreamId) {
      return this.sendStatus(id, GrpcCode.INVALID_ARGUMENT, 'StreamID cannot be re-used and must increment');
    }
    this.lastStreamId = id;
    let req: TtrpcRequest;
    try {
      req = decodeRequest(frame.data);
    } catch (err) {
      return this.sendStatus(id, GrpcCode.INVALID_ARGUMENT, `unmarshal request error: ${(err as Error).message}`);
    }
    const handler = this.options.route(req.service, req.method);
    if (typeof handler !== 'function') {
      const name = handler.missing === 'service' ? req.service : req.method;
      return this.sendStatus(id, GrpcCode.UNIMPLEMENTED, `${handler.missing} ${name}`);
    }
    void this.run(id, req, handler);
  }

  private async run(id: number, req: TtrpcRequest, handler: TtrpcHandler): Promise<void> {
    const ctrl = new AbortController();
    this.active.set(id, ctrl);
    const ctx: TtrpcCallContext = { service: req.service, method: req.method, metadata: req.metadata ?? [], signal: ctrl.signal };
    let timer: NodeJS.Timeout | undefined;
    const timeoutNano = req.timeoutNano ?? 0n;
    if (timeoutNano > 0n) {
      const ms = Number(timeoutNano / 1_000_000n);
      ctx.deadline = Date.now() + ms;
      if (ms <= MAX_TIMER_MS) {
        timer = setTimeout(() => ctrl.abort(TtrpcErrors.TTRPC_TIMEOUT.create('The ttRPC call deadline passed', {
          details: { service: req.service, method: req.method, timeoutMs: ms },
        })), ms);
      }
    }
    let response: TtrpcResponse;
    try {
      const out = await handler(req.payload, ctx);
      response = { payload: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
    } catch (err) {
      response = { status: statusFromError(err), payload: Buffer.alloc(0) };
    } finally {
      if (timer) clearTimeout(timer);
      this.active.delete(id);
    }
    this.send(id, response);
  }

  private sendStatus(id: number, code: number, message: string): void {
    this.send(id, { status: { code, message } satisfies RpcStatus, payload: Buffer.alloc(0) });
  }

  private send(id: number, response: TtrpcResponse): void {
    if (this.closed) return;
    let data = encodeResponse(response);
    if (data.length > this.options.maxData) {
      // Like the Go server: an answer that does not fit becomes a RESOURCE_EXHAUSTED status.
      const message = oversizedMessage(data.length, this.options.maxData);
      data = encodeResponse({ status: { code: GrpcCode.RESOURCE_EXHAUSTED, message }, payload: Buffer.alloc(0) });
    }
    this.stream.write(encodeFrame({ streamId: id, type: MessageType.Response, flags: 0, data }, this.options.maxData));
  }
}

function oversizedMessage(length: number, max: number): string {
  return `message length ${length} exceed maximum message size of ${max}`;
}
