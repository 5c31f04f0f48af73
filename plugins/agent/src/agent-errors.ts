// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/**
 * Error codes of the agent: the host client and the guest program share them, so a code the guest
 * puts in a ttRPC status (`[E_…] message`) comes back on the host with its category.
 * This module imports nothing but `@cella/core/errors`: the guest bundle includes it.
 */
export const AgentErrors = defineErrorCodes('agent.cella', {
  /** The host has no AF_VSOCK support in Node (a `vsock` agent channel). */
  AGENT_VSOCK_UNSUPPORTED: 'NotSupported',
  /** The agent did not answer `Check` before the connect deadline. */
  AGENT_CONNECT_TIMEOUT: 'Timeout',
  /** The channel's socket could not be opened. */
  AGENT_DIAL: 'Unavailable',
  /** The hybrid-vsock `CONNECT <port>` handshake failed. */
  AGENT_HANDSHAKE: 'Unavailable',
  /** A call was made before `connect` or after `close`. */
  AGENT_NOT_CONNECTED: 'FailedPrecondition',
  /** The connection to the agent was lost. */
  AGENT_DISCONNECTED: 'Unavailable',
  /** A call did not answer within the call timeout. */
  AGENT_TIMEOUT: 'Timeout',
  /** A message broke the protocol (malformed, out of bounds, inconsistent). */
  AGENT_PROTOCOL: 'Internal',
  /** The guest reported an error without a Cella code. */
  AGENT_REMOTE: 'Internal',
  /** A request argument is invalid (id, signal, size, path). */
  AGENT_INVALID_ARGUMENT: 'InvalidArgument',
  /** The OCI spec or process sent to the guest is not usable. */
  AGENT_SPEC_INVALID: 'InvalidArgument',
  /** Terminals (process.terminal=true) are not supported yet. */
  AGENT_TTY_UNSUPPORTED: 'NotSupported',
  /** A storage driver the guest does not know. */
  AGENT_STORAGE_UNSUPPORTED: 'NotSupported',
  /** The disk with the storage's serial did not appear in the guest. */
  AGENT_DISK_NOT_FOUND: 'NotFound',
  /** A mount or unmount in the guest failed. */
  AGENT_MOUNT: 'Internal',
  /** A helper command in the guest (crun, mount, hostname) failed or timed out. */
  AGENT_COMMAND: 'Internal',
  /** The guest's OCI runtime (crun) refused to create or start the container; the message is crun's (bounded). */
  AGENT_CONTAINER_REFUSED: 'InvalidArgument',
  /** No container with this id in the guest. */
  AGENT_CONTAINER_NOT_FOUND: 'NotFound',
  /** A container with this id exists already. */
  AGENT_CONTAINER_EXISTS: 'AlreadyExists',
  /** No process with this exec id in the container. */
  AGENT_PROCESS_NOT_FOUND: 'NotFound',
  /** An exec id is in use already. */
  AGENT_PROCESS_EXISTS: 'AlreadyExists',
  /** The container or process is in the wrong state for the call (start twice, stdin closed). */
  AGENT_STATE: 'FailedPrecondition',
  /** A container's cgroup files in the guest could not be read or do not parse (StatsContainer). */
  AGENT_CGROUP_STATS: 'Internal',
  /** The guest cannot open its end of the channel. */
  AGENT_CHANNEL: 'Unavailable',
  /** No guest network device carries the MAC address an interface asks for. */
  AGENT_LINK_NOT_FOUND: 'NotFound',
  /** The guest kernel refused an interface, address, route or neighbour (`details` names it). */
  AGENT_NETWORK: 'Internal',
  /** The guest kernel refused to set its wall clock (SetGuestDateTime). */
  AGENT_CLOCK: 'Internal',
  /** The guest kernel refused the seed or the CRNG reseed (ReseedRandomDev). */
  AGENT_RANDOM: 'Internal',
});
