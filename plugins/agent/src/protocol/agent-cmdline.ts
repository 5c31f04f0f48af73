// SPDX-License-Identifier: Apache-2.0
import type { AgentChannel } from '@cella/core';

/**
 * The guest kernel-cmdline contract between the host (image/boot) and the guest agent:
 * - `cella.agent=virtio-serial:<port name>`: the agent serves on the virtio-serial port whose
 *   `/sys/class/virtio-ports/<vportNpM>/name` is `<port name>`;
 * - `cella.agent=vsock:<port>`: the agent listens on AF_VSOCK `<port>` (any CID); hybrid vsock looks the
 *   same from inside the guest;
 * - `cella.debug=1`: the agent logs from debug level up (default: warn and above).
 * Absent `cella.agent` means `virtio-serial:agent.channel.0`.
 */
export type GuestAgentListen = { kind: 'virtio-serial'; name: string } | { kind: 'vsock'; port: number };

export const DEFAULT_AGENT_PORT_NAME = 'agent.channel.0';

/** The kernel parameter that tells the guest agent where to serve for this channel. */
export function agentKernelParam(channel: AgentChannel): string {
  if (channel.kind === 'virtio-serial') return `cella.agent=virtio-serial:${channel.name}`;
  return `cella.agent=vsock:${channel.port}`;
}

/** Parses `/proc/cmdline`; an unusable `cella.agent` value yields `undefined` for `listen`. */
export function parseAgentCmdline(cmdline: string): { listen: GuestAgentListen | undefined; debug: boolean } {
  let listen: GuestAgentListen | undefined = { kind: 'virtio-serial', name: DEFAULT_AGENT_PORT_NAME };
  let debug = false;
  for (const word of cmdline.trim().split(/\s+/)) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? '' : word.slice(eq + 1);
    if (key === 'cella.debug') debug = value === '1' || value === 'true' || value === '';
    else if (key === 'cella.agent') listen = parseListen(value);
  }
  return { listen, debug };
}

function parseListen(value: string): GuestAgentListen | undefined {
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const arg = value.slice(colon + 1);
  if (colon > 0 && kind === 'virtio-serial' && /^[A-Za-z0-9_.-]{1,64}$/.test(arg)) return { kind, name: arg };
  if (colon > 0 && kind === 'vsock' && /^\d{1,10}$/.test(arg) && Number(arg) <= 0xffffffff) return { kind, port: Number(arg) };
  return undefined;
}
