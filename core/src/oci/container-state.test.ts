// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError, registeredErrorCodes } from '../errors';
import { assertTransition, OCI_OPERATIONS, OCI_STATUSES, refusal, type OciOperation, type OciStatus } from './container-state';

/** What throws, as [code, message], or 'ok'. */
function outcome(status: OciStatus | undefined, op: OciOperation, id = 'c1'): string {
  try {
    assertTransition(status, op, id);
    return 'ok';
  } catch (err) {
    assert.ok(isCellaError(err), String(err));
    return `${err.code}: ${err.message}`;
  }
}

// runc's own behaviour is checked against a real runc in runc-differential.int.test.ts; these pin the rules.
describe('assertTransition (OCI state machine)', () => {
  it('lets start run only on a created container, with runc\'s text for each other state', () => {
    assert.equal(outcome('created', 'start'), 'ok');
    assert.equal(outcome('running', 'start'), 'E_OCI_STATE: cannot start an already running container');
    assert.equal(outcome('paused', 'start'), 'E_OCI_STATE: cannot start a container in the paused state');
    assert.equal(outcome('stopped', 'start'), 'E_OCI_STATE: cannot start a container that has stopped');
    assert.equal(outcome('creating', 'start'), 'E_OCI_STATE: cannot start a container in the creating state');
  });

  it('refuses to delete a running or paused container, naming it and its status, unless forced', () => {
    assert.equal(outcome('running', 'delete', 'web'), 'E_OCI_STATE: cannot delete container web that is not stopped: running');
    assert.equal(outcome('paused', 'delete', 'web'), 'E_OCI_STATE: cannot delete container web that is not stopped: paused');
    for (const s of OCI_STATUSES) assert.equal(outcome(s, 'deleteForce'), 'ok', s);
    assert.equal(outcome('stopped', 'delete'), 'ok');
    assert.equal(outcome('created', 'delete'), 'ok');
  });

  it('says "container not running" for kill and pause on a stopped container, but kill --all goes ahead', () => {
    assert.equal(outcome('stopped', 'kill'), 'E_OCI_STATE: container not running');
    assert.equal(outcome('stopped', 'pause'), 'E_OCI_STATE: container not running');
    assert.equal(outcome('paused', 'pause'), 'E_OCI_STATE: container not running');
    assert.equal(outcome('stopped', 'killAll'), 'ok');
    for (const s of ['created', 'running', 'paused'] as const) assert.equal(outcome(s, 'kill'), 'ok', s);
  });

  it('resumes only a paused container', () => {
    for (const s of OCI_STATUSES) assert.equal(outcome(s, 'resume'), s === 'paused' ? 'ok' : 'E_OCI_STATE: container not paused', s);
  });

  it('refuses exec in a paused or stopped container with exit status 255, as runc', () => {
    assert.equal(outcome('paused', 'exec'), 'E_OCI_STATE: cannot exec in a paused container (use --ignore-paused to override)');
    assert.equal(outcome('stopped', 'exec'), 'E_OCI_STATE: cannot exec in a stopped container');
    assert.equal(outcome('running', 'exec'), 'ok');
    assert.throws(() => assertTransition('stopped', 'exec', 'c1'), (e: Error & { details: Record<string, unknown> }) => e.details.exitStatus === 255);
    assert.throws(() => assertTransition('stopped', 'kill', 'c1'), (e: Error & { details: Record<string, unknown> }) => e.details.exitStatus === 1);
  });

  it('answers "container does not exist" for an unknown id, except for delete --force and create', () => {
    for (const op of OCI_OPERATIONS) {
      const expected = op === 'deleteForce' || op === 'create' ? 'ok' : 'E_OCI_NOT_FOUND: container does not exist';
      assert.equal(outcome(undefined, op), expected, op);
    }
    assert.throws(() => assertTransition(undefined, 'exec', 'nope'), (e: Error & { details: Record<string, unknown> }) =>
      e.details.id === 'nope' && e.details.exitStatus === 255);
  });

  it('refuses create with an id that is taken, in every state', () => {
    for (const s of OCI_STATUSES) assert.equal(outcome(s, 'create'), 'E_OCI_EXISTS: container with given ID already exists', s);
  });

  it('puts the id, status and operation in the error details', () => {
    assert.throws(() => assertTransition('running', 'start', 'abc'), (e: Error & { details: Record<string, unknown> }) => {
      assert.deepEqual(e.details, { id: 'abc', status: 'running', operation: 'start', exitStatus: 1 });
      return true;
    });
  });

  it('agrees with refusal() for every status and operation', () => {
    for (const s of OCI_STATUSES) {
      for (const op of OCI_OPERATIONS) {
        const text = refusal(s, op, 'x');
        assert.equal(outcome(s, op, 'x').replace(/^E_OCI_\w+: /, ''), text ?? 'ok', `${s} ${op}`);
      }
    }
  });

  it('registers its codes with the categories the CLI maps to exit status and the shim to gRPC codes', () => {
    const codes = registeredErrorCodes();
    assert.equal(codes.get('E_OCI_STATE')?.category, 'FailedPrecondition');
    assert.equal(codes.get('E_OCI_NOT_FOUND')?.category, 'NotFound');
    assert.equal(codes.get('E_OCI_EXISTS')?.category, 'AlreadyExists');
    assert.equal(codes.get('E_OCI_SIGNAL')?.category, 'InvalidArgument');
  });
});
