// SPDX-License-Identifier: Apache-2.0
import type { CellaError } from '../errors/cella-error';
import { OciErrors } from './oci-errors';

/**
 * The OCI lifecycle as runc 1.1 enforces it: `creating → created → running ⇄ paused → stopped`.
 * `creating` is the OCI state while `create` is still building the sandbox (runc never shows it).
 * Pure: callers read the status under the container's lock, call `assertTransition`, then act.
 */
export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export const OCI_STATUSES: readonly OciStatus[] = ['creating', 'created', 'running', 'paused', 'stopped'];

/**
 * What a command asks of a container. `kill --all` is `killAll`, `delete --force` is `deleteForce`;
 * `create` checks that the id is free.
 */
export type OciOperation = 'create' | 'start' | 'kill' | 'killAll' | 'pause' | 'resume' | 'delete' | 'deleteForce' | 'exec';

export const OCI_OPERATIONS: readonly OciOperation[] = ['create', 'start', 'kill', 'killAll', 'pause', 'resume', 'delete', 'deleteForce', 'exec'];

/**
 * What runc puts before the error text for an operation (the message of the error this module throws is
 * the bare text; the command adds the prefix) and the exit status it uses (1 for every other failure).
 */
export const OCI_FAILURE: Readonly<Partial<Record<OciOperation, { prefix: string; exitStatus: number }>>> = {
  create: { prefix: 'runc create failed: ', exitStatus: 1 },
  exec: { prefix: 'exec failed: ', exitStatus: 255 },
};

/** runc's texts (runc 1.1.5: start.go, delete.go, exec.go, libcontainer's ErrNotRunning/ErrNotPaused/ErrExist). */
const NOT_RUNNING = 'container not running';
const NOT_PAUSED = 'container not paused';
const DOES_NOT_EXIST = 'container does not exist';
const ALREADY_EXISTS = 'container with given ID already exists';

/** The refusal text for `operation` on a container in `status`, or undefined when runc would go ahead. */
export function refusal(status: OciStatus, operation: OciOperation, id: string): string | undefined {
  switch (operation) {
    case 'create':
      return ALREADY_EXISTS;
    case 'start':
      if (status === 'created') return undefined;
      if (status === 'running') return 'cannot start an already running container';
      if (status === 'stopped') return 'cannot start a container that has stopped';
      return `cannot start a container in the ${status} state`;
    case 'kill':
      // A paused container can be signalled (SIGKILL thaws it); `creating` has no process yet.
      return status === 'created' || status === 'running' || status === 'paused' ? undefined : NOT_RUNNING;
    case 'killAll':
    case 'deleteForce':
      return undefined;
    case 'pause':
      return status === 'created' || status === 'running' ? undefined : NOT_RUNNING;
    case 'resume':
      return status === 'paused' ? undefined : NOT_PAUSED;
    case 'delete':
      // runc deletes a created container (it kills its init); anything else must be stopped or forced.
      return status === 'created' || status === 'stopped' ? undefined : `cannot delete container ${id} that is not stopped: ${status}`;
    case 'exec':
      if (status === 'stopped') return 'cannot exec in a stopped container';
      if (status === 'paused') return 'cannot exec in a paused container (use --ignore-paused to override)';
      // Cella only: the guest container does not exist yet while the sandbox boots.
      if (status === 'creating') return 'cannot exec in a creating container';
      return undefined;
  }
}

/**
 * Throw runc's error when `operation` is not allowed on container `id` whose status is `current`
 * (`undefined`: no such container). E_OCI_NOT_FOUND, E_OCI_EXISTS or E_OCI_STATE; details name the id,
 * status and operation, and `exitStatus` is what runc exits with.
 */
export function assertTransition(current: OciStatus | undefined, operation: OciOperation, id: string): void {
  const exitStatus = OCI_FAILURE[operation]?.exitStatus ?? 1;
  if (current === undefined) {
    if (operation === 'create' || operation === 'deleteForce') return;
    throw notFound(id, operation);
  }
  const text = refusal(current, operation, id);
  if (text === undefined) return;
  const code = operation === 'create' ? OciErrors.OCI_EXISTS : OciErrors.OCI_STATE;
  throw code.create(text, { details: { id, status: current, operation, exitStatus } });
}

/** runc's error for an id that names no container. */
export function notFound(id: string, operation?: OciOperation): CellaError {
  const exitStatus = (operation && OCI_FAILURE[operation]?.exitStatus) || 1;
  return OciErrors.OCI_NOT_FOUND.create(DOES_NOT_EXIST, { details: { id, ...(operation ? { operation } : {}), exitStatus } });
}
