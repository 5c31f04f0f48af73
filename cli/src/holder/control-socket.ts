// SPDX-License-Identifier: Apache-2.0
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { TtrpcServer } from '@cella/core/ttrpc';
import { CONTROL_SOCKET, decodeKill, HOLDER_SERVICE, HolderMethod } from './holder-protocol';

/** Serve `server` on the container's control socket (`<run>/control.sock`); resolves once it listens. */
export function listenControl(runDir: string, server: TtrpcServer): Promise<Server> {
  const control = createServer((sock) => { server.serve(sock); });
  return new Promise((resolve, reject) => {
    control.once('error', reject);
    control.listen(join(runDir, CONTROL_SOCKET), () => resolve(control));
  });
}

/**
 * The control socket of a foreground `cella run`, which stands for its container as a holder does: `Kill` only
 * (the other methods are refused by the ttRPC server as unknown). Signals go to the container once it runs.
 */
export function serveKill(runDir: string, forward: (signal: number) => void): Promise<Server> {
  const server = new TtrpcServer();
  server.register(HOLDER_SERVICE, HolderMethod.Kill, (payload) => { forward(decodeKill(payload).signal); return new Uint8Array(); });
  return listenControl(runDir, server);
}
