// SPDX-License-Identifier: Apache-2.0
import { statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { receiveFdNow, sendFd, waitReadable, type ReceivedFd } from './fd-passing';
import { TtyErrors } from './tty-errors';

/**
 * The console-socket protocol of the OCI runtime CLI (runc): the runtime connects to the caller's unix
 * stream socket and sends the pty master with one sendmsg, data `/dev/ptmx`, one SCM_RIGHTS fd.
 */
export const CONSOLE_MASTER_NAME = '/dev/ptmx';

/** The fd under a connected net.Socket (libuv's; non-blocking). */
export function socketFd(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw TtyErrors.TTY_FD_PASSING.create('The socket has no file descriptor', {});
  return fd;
}

/** Throws E_TTY_CONSOLE_SOCKET naming `path` unless it is an existing unix socket (checked before anything is made). */
export function checkConsoleSocket(path: string): void {
  let isSocket = false;
  try {
    isSocket = statSync(path).isSocket();
  } catch (cause) {
    throw TtyErrors.TTY_CONSOLE_SOCKET.create(`The console socket ${path} does not exist`, { cause, details: { socket: path } });
  }
  if (!isSocket) throw TtyErrors.TTY_CONSOLE_SOCKET.create(`The console socket ${path} is not a unix socket`, { details: { socket: path } });
}

/** Connects to the console socket at `path` and sends `master` over it (the caller keeps and closes its copy). */
export async function sendConsoleMaster(path: string, master: number): Promise<void> {
  const sock = connect(path);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', (cause) => reject(TtyErrors.TTY_CONSOLE_SOCKET.create(`The console socket ${path} cannot be reached`, {
        cause, details: { socket: path, reason: (cause as NodeJS.ErrnoException).code },
      })));
    });
    sendFd(socketFd(sock), master, CONSOLE_MASTER_NAME);
  } finally {
    sock.destroy();
  }
}

/**
 * A console socket the receiving side listens on (the guest agent for crun, tests for cella): accepts one
 * connection and takes the fd sent over it. Connections are accepted paused so Node never reads (and so
 * drops) the ancillary data.
 */
export class ConsoleSocketListener {
  private readonly pending: Socket[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly server: Server, readonly path: string) {
    server.on('connection', (s) => { this.pending.push(s); this.waiter?.(); });
  }

  static listen(path: string): Promise<ConsoleSocketListener> {
    const server = createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(new ConsoleSocketListener(server, path)); });
    });
  }

  /**
   * Resolves with the first fd sent by a connecting peer. Rejects after `timeoutMs`, or as soon as
   * `giveUp()` says so (checked every slice: e.g. the runtime process exited without connecting).
   */
  async receive(timeoutMs: number, giveUp: () => boolean = () => false): Promise<ReceivedFd> {
    const deadline = Date.now() + timeoutMs;
    const slice = 100;
    for (;;) {
      if (this.closed || giveUp() || Date.now() >= deadline) {
        throw TtyErrors.TTY_FD_PASSING.create('No terminal was received on the console socket', { details: { socket: this.path, timeoutMs } });
      }
      const sock = this.pending[0];
      if (!sock) {
        await new Promise<void>((resolve) => { this.waiter = resolve; setTimeout(resolve, slice).unref(); });
        this.waiter = undefined;
        continue;
      }
      const fd = socketFd(sock);
      if (!(await waitReadable(fd, slice))) continue;
      const got = receiveFdNow(fd);
      // Readable with nothing to take: the peer hung up without sending; either way this connection is done.
      this.pending.shift();
      sock.destroy();
      if (got) return got;
    }
  }

  close(): void {
    this.closed = true;
    for (const s of this.pending.splice(0)) s.destroy();
    this.server.close();
  }
}
