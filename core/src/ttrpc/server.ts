// SPDX-License-Identifier: Apache-2.0
import type { Duplex } from 'node:stream';
import { TTRPC_MAX_DATA } from './frame';
import type { KeyValue } from './messages';
import { ServerConnection } from './server-connection';
import { TtrpcErrors } from './ttrpc-errors';

export interface TtrpcCallContext {
  service: string;
  method: string;
  metadata: KeyValue[];
  /** Aborted when the deadline passes (reason E_TTRPC_TIMEOUT) or the connection closes (E_TTRPC_CLOSED). */
  signal: AbortSignal;
  /** Epoch milliseconds of the client's deadline, from `timeout_nano`; undefined when it sent none. */
  deadline?: number;
}

/** Handles one unary call: gets the marshaled request, returns the marshaled response. */
export type TtrpcHandler = (payload: Buffer, ctx: TtrpcCallContext) => Promise<Uint8Array> | Uint8Array;

export interface TtrpcServerOptions {
  /** Frame data limit in both directions; default 4 MiB. */
  maxData?: number;
  /** Connection-level failures (stream errors); handler errors go back to the client instead. */
  onError?: (err: Error) => void;
}

/** A served connection: `close()` ends it; `done` resolves once it has closed for any reason. */
export interface TtrpcServing {
  close(): void;
  done: Promise<void>;
}

/**
 * Unary ttRPC server with the routing and error answers of the Go ttrpc server. Handlers run
 * concurrently; a thrown error is answered with `statusFromError(err)`.
 */
export class TtrpcServer {
  private readonly services = new Map<string, Map<string, TtrpcHandler>>();
  private readonly maxData: number;

  constructor(private readonly options: TtrpcServerOptions = {}) {
    this.maxData = options.maxData ?? TTRPC_MAX_DATA;
  }

  /** Adds a handler; `service` is the full proto name (`containerd.task.v2.Task`), `method` the bare rpc name. */
  register(service: string, method: string, handler: TtrpcHandler): void {
    let methods = this.services.get(service);
    if (!methods) this.services.set(service, (methods = new Map()));
    if (methods.has(method)) {
      throw TtrpcErrors.TTRPC_REGISTER.create('A ttRPC handler is already registered for this method', {
        details: { service, method },
      });
    }
    methods.set(method, handler);
  }

  /** Serves calls arriving on `stream` until either side closes it. */
  serve(stream: Duplex): TtrpcServing {
    const conn = new ServerConnection(stream, {
      maxData: this.maxData,
      route: (service, method) => this.route(service, method),
      onError: this.options.onError,
    });
    return { close: () => conn.close(), done: conn.done };
  }

  private route(service: string, method: string): TtrpcHandler | { missing: 'service' | 'method' } {
    const methods = this.services.get(service);
    if (!methods) return { missing: 'service' };
    return methods.get(method) ?? { missing: 'method' };
  }
}
