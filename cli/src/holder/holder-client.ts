// SPDX-License-Identifier: Apache-2.0
import { connect } from 'node:net';
import { join } from 'node:path';
import { E } from '@cella/core';
import { TtrpcClient } from '@cella/core/ttrpc';
import { CONTROL_SOCKET, HOLDER_SERVICE } from './holder-protocol';

/** A ttRPC client on a container's holder control socket; NotFound when no holder listens there. */
export async function connectHolder(runDir: string, defaultTimeoutMs?: number): Promise<TtrpcClient> {
  const path = join(runDir, CONTROL_SOCKET);
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (cause) => reject(E.SANDBOX_NOT_FOUND.create('The container\'s holder process is not reachable', { cause, details: { socket: path } })));
  });
  return new TtrpcClient(sock, defaultTimeoutMs === undefined ? undefined : { defaultTimeoutMs });
}

/** One call to a container's holder over its control socket. */
export async function callHolder(runDir: string, method: string, payload: Uint8Array = new Uint8Array(), timeoutMs = 30_000): Promise<Buffer> {
  const client = await connectHolder(runDir, timeoutMs);
  try {
    return await client.call(HOLDER_SERVICE, method, payload);
  } finally {
    client.close();
  }
}
