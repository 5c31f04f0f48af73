// SPDX-License-Identifier: Apache-2.0
import type { Duplex } from 'node:stream';
import type { AgentChannel } from '@cella/core';
import { AgentErrors } from '../agent-errors';
import { hybridVsockHandshake } from './hybrid-vsock-handshake';
import { connectUnix } from './unix-dial';

/**
 * Opens a byte stream to the guest agent:
 * - `virtio-serial`: the hypervisor's unix socket (it accepts even before the guest opened its port);
 * - `hybrid-vsock`: the VMM's unix socket, then the `CONNECT <port>` handshake;
 * - `vsock`: not available (Node has no AF_VSOCK): E_AGENT_VSOCK_UNSUPPORTED.
 * Throws E_AGENT_DIAL / E_AGENT_HANDSHAKE, or the signal's reason.
 */
export async function dialChannel(channel: AgentChannel, options: { signal?: AbortSignal } = {}): Promise<Duplex> {
  switch (channel.kind) {
    case 'virtio-serial':
      return connectUnix(channel.socketPath, options.signal);
    case 'hybrid-vsock': {
      const socket = await connectUnix(channel.socketPath, options.signal);
      await hybridVsockHandshake(socket, channel.port, { signal: options.signal, socketPath: channel.socketPath });
      return socket;
    }
    case 'vsock':
      throw AgentErrors.AGENT_VSOCK_UNSUPPORTED.create('The vsock agent channel is not supported by this host client', {
        details: { cid: channel.cid, port: channel.port },
        hint: 'use transport = "virtio-serial" (or "hybrid-vsock" with a VMM that provides it)',
      });
  }
}
