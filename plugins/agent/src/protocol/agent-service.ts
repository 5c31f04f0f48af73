// SPDX-License-Identifier: Apache-2.0
/**
 * The agent API: one ttRPC service modelled on Kata's `grpc.AgentService` (agent.proto). Method names,
 * and message field numbers where Kata has the field, are Kata's; see the message files for the
 * deviations (the OCI spec and process travel as JSON, `ReadStreamResponse.eof`, `CheckResponse`).
 */
export const AGENT_SERVICE = 'cella.agent.v1.AgentService';

/** Version the guest reports in `CheckResponse.agent_version`. */
export const AGENT_VERSION = '0.1.0';

export const AgentMethod = Object.freeze({
  Check: 'Check',
  CreateSandbox: 'CreateSandbox',
  DestroySandbox: 'DestroySandbox',
  CreateContainer: 'CreateContainer',
  StartContainer: 'StartContainer',
  RemoveContainer: 'RemoveContainer',
  ExecProcess: 'ExecProcess',
  SignalProcess: 'SignalProcess',
  WaitProcess: 'WaitProcess',
  ReadStdout: 'ReadStdout',
  ReadStderr: 'ReadStderr',
  WriteStdin: 'WriteStdin',
  CloseStdin: 'CloseStdin',
  TtyWinResize: 'TtyWinResize',
  UpdateInterface: 'UpdateInterface',
  UpdateRoutes: 'UpdateRoutes',
  AddARPNeighbors: 'AddARPNeighbors',
  StatsContainer: 'StatsContainer',
  SetGuestDateTime: 'SetGuestDateTime',
  ReseedRandomDev: 'ReseedRandomDev',
} as const);

export type AgentMethod = (typeof AgentMethod)[keyof typeof AgentMethod];

/** Ids the guest uses in paths (`/run/cella/bundles/<id>`): the OCI/containerd id alphabet, bounded. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
