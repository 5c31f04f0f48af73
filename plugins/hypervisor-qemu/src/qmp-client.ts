// SPDX-License-Identifier: Apache-2.0
import { connect as netConnect, type Socket } from 'node:net';
import { sendFd, socketFd } from '@cella/core/tty';
import { setTimeout as sleep } from 'node:timers/promises';
import { nullLogger, type Logger } from '@cella/core';
import type { CellaError } from '@cella/core/errors';
import { QemuErrors } from './qemu-errors';

/** An asynchronous QMP event (`SHUTDOWN`, `DEVICE_DELETED`, …). */
export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

/** A line longer than this closes the connection: QEMU's replies are far smaller. */
export const MAX_QMP_LINE_BYTES = 1024 * 1024;
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const RETRY_DELAY_MS = 50;

interface Pending {
  command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type Listeners = { event: Set<(e: QmpEvent) => void>; close: Set<(err?: Error) => void> };

/**
 * A QMP client on a unix socket: JSON lines, commands tagged with ids so several may run at once.
 * Every read is bounded by MAX_QMP_LINE_BYTES.
 */
export class QmpClient {
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: Listeners = { event: new Set(), close: new Set() };
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private nextId = 1;
  private closedWith: Error | undefined;
  private isClosed = false;
  private greeting: ((v: unknown) => void) | undefined;

  private constructor(private readonly socket: Socket, private readonly socketPath: string, private readonly logger: Logger) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(QemuErrors.HYPERVISOR_QMP.create('The QMP connection failed.', { cause: err, details: { socket: socketPath } })));
    socket.on('close', () => this.fail(QemuErrors.HYPERVISOR_QMP.create('QEMU closed the QMP connection.', { details: { socket: socketPath } })));
  }

  /**
   * Connect (retrying while the socket does not exist yet or refuses), read the greeting and
   * enter command mode. Throws E_HYPERVISOR_TIMEOUT, E_HYPERVISOR_QMP, or the signal's reason.
   */
  static async connect(socketPath: string, options: { timeoutMs: number; signal?: AbortSignal; logger?: Logger }): Promise<QmpClient> {
    const deadline = Date.now() + options.timeoutMs;
    const timeout = (): CellaError => QemuErrors.HYPERVISOR_TIMEOUT.create('QMP did not answer in time.', { details: { socket: socketPath, timeoutMs: options.timeoutMs } });
    for (;;) {
      options.signal?.throwIfAborted();
      const socket = await tryConnect(socketPath).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return undefined;
        throw QemuErrors.HYPERVISOR_QMP.create('The QMP connection failed.', { cause: err, details: { socket: socketPath } });
      });
      if (socket) {
        const client = new QmpClient(socket, socketPath, options.logger ?? nullLogger);
        const onAbort = (): void => client.close();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const remaining = Math.max(1, deadline - Date.now());
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          client.fail(timeout());
        }, remaining);
        try {
          await new Promise((resolve, reject) => {
            client.greeting = resolve;
            client.listeners.close.add((err) => reject(err ?? timeout()));
          });
          await client.execute('qmp_capabilities', undefined, { timeoutMs: remaining });
          return client;
        } catch (err) {
          client.close();
          options.signal?.throwIfAborted();
          throw timedOut ? timeout() : err;
        } finally {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          client.listeners.close.clear();
        }
      }
      if (Date.now() >= deadline) throw timeout();
      await sleep(RETRY_DELAY_MS, undefined, { signal: options.signal });
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Run a command. Rejects with E_HYPERVISOR_QMP_COMMAND (QEMU's class/desc in details), _QMP or _TIMEOUT.
   * `fd` goes with the command as SCM_RIGHTS (`add-fd`, `getfd`: how an unprivileged QEMU gets a file it cannot
   * open itself); the caller keeps and closes its copy.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: { timeoutMs?: number; fd?: number } = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(this.closedError(command));
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(QemuErrors.HYPERVISOR_TIMEOUT.create('A QMP command got no reply in time.', { details: { command, timeoutMs } }));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      const line = `${JSON.stringify(message)}\n`;
      const fd = options.fd;
      if (fd === undefined) {
        this.socket.write(line);
        return;
      }
      // The fd goes with a sendmsg of its own, after whatever Node still has queued on the socket.
      const send = (): void => {
        try {
          sendFd(socketFd(this.socket), fd, line);
        } catch (err) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(QemuErrors.HYPERVISOR_QMP.create('A file descriptor could not be sent to QEMU.', { cause: err, details: { command } }));
        }
      };
      if (this.socket.writableLength > 0) this.socket.once('drain', send);
      else send();
    });
  }

  /** `event`: every QMP event; `close`: the connection ended (with the error when it broke). */
  on(name: 'event', listener: (e: QmpEvent) => void): this;
  on(name: 'close', listener: (err?: Error) => void): this;
  on(name: 'event' | 'close', listener: ((e: QmpEvent) => void) | ((err?: Error) => void)): this {
    (this.listeners[name] as Set<typeof listener>).add(listener);
    return this;
  }

  off(name: 'event' | 'close', listener: ((e: QmpEvent) => void) | ((err?: Error) => void)): this {
    (this.listeners[name] as Set<typeof listener>).delete(listener);
    return this;
  }

  /**
   * The next event `name` whose data `match`es. Create it before the command that causes the event.
   * Rejects with E_HYPERVISOR_TIMEOUT after `timeoutMs`, or E_HYPERVISOR_QMP when the connection closes.
   */
  waitForEvent(name: string, match: (data: Record<string, unknown>) => boolean, timeoutMs: number): Promise<QmpEvent> {
    return new Promise<QmpEvent>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      const onEvent = (e: QmpEvent): void => {
        if (e.event !== name || !match(e.data)) return;
        done();
        resolve(e);
      };
      const onClose = (): void => {
        done();
        reject(this.closedError(name));
      };
      const timer = setTimeout(() => {
        done();
        reject(QemuErrors.HYPERVISOR_TIMEOUT.create('An awaited QMP event did not come in time.', { details: { event: name, timeoutMs } }));
      }, timeoutMs);
      if (this.isClosed) return onClose();
      this.on('event', onEvent).on('close', onClose);
    });
  }

  /** Let the process exit while only this connection is open (a runtime that hands the VM over). */
  unref(): void {
    this.socket.unref();
  }

  /** Close the connection; pending commands reject with E_HYPERVISOR_QMP. Idempotent. */
  close(): void {
    this.fail(undefined);
  }

  private closedError(command: string): CellaError {
    return QemuErrors.HYPERVISOR_QMP.create('The QMP connection is closed.', { cause: this.closedWith, details: { socket: this.socketPath, command } });
  }

  private fail(err: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closedWith = err;
    this.socket.destroy();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(this.closedError(p.command));
    }
    for (const listener of [...this.listeners.close]) this.safely(() => listener(err));
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    while (!this.isClosed) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (this.chunkBytes + piece.length > MAX_QMP_LINE_BYTES) {
        this.fail(QemuErrors.HYPERVISOR_QMP.create('QEMU sent a QMP line that is too long.', { details: { socket: this.socketPath, limitBytes: MAX_QMP_LINE_BYTES } }));
        return;
      }
      this.chunks.push(piece);
      this.chunkBytes += piece.length;
      if (nl === -1) return;
      const line = Buffer.concat(this.chunks).toString('utf8').trim();
      this.chunks = [];
      this.chunkBytes = 0;
      if (line) this.onLine(line);
      start = nl + 1;
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      this.fail(QemuErrors.HYPERVISOR_QMP.create('QEMU sent a QMP line that is not JSON.', { cause: err, details: { socket: this.socketPath, line: line.slice(0, 200) } }));
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if ('QMP' in msg) {
      this.greeting?.(msg.QMP);
      this.greeting = undefined;
    } else if (typeof msg.event === 'string') {
      const event: QmpEvent = { event: msg.event, data: (msg.data ?? {}) as Record<string, unknown>, timestamp: msg.timestamp as QmpEvent['timestamp'] };
      for (const listener of [...this.listeners.event]) this.safely(() => listener(event));
    } else if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if ('error' in msg) {
        const e = (msg.error ?? {}) as { class?: unknown; desc?: unknown };
        p.reject(QemuErrors.HYPERVISOR_QMP_COMMAND.create('QEMU refused a QMP command.', { details: { command: p.command, class: e.class, desc: e.desc } }));
      } else {
        p.resolve(msg.return);
      }
    } else {
      this.logger.debug('QMP reply without a waiting command', { id: msg.id });
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.warn('A QMP listener threw', { err });
    }
  }
}

function tryConnect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
