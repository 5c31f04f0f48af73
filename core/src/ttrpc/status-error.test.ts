// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { E, isCellaError } from '../errors';
import { GrpcCode } from './messages';
import { MAX_STATUS_MESSAGE, statusFromError, TtrpcStatusError } from './status-error';

describe('TtrpcStatusError', () => {
  it('is a CellaError E_TTRPC_STATUS whose category follows the gRPC code', () => {
    const cases: Array<[number, string]> = [
      [GrpcCode.NOT_FOUND, 'NotFound'], [GrpcCode.UNIMPLEMENTED, 'NotSupported'], [GrpcCode.DEADLINE_EXCEEDED, 'Timeout'],
      [GrpcCode.INVALID_ARGUMENT, 'InvalidArgument'], [GrpcCode.UNKNOWN, 'Internal'], [99, 'Internal'],
    ];
    for (const [code, category] of cases) {
      const err = new TtrpcStatusError(code, 'process already finished');
      assert.ok(isCellaError(err, 'E_TTRPC_STATUS'));
      assert.equal(err.category, category);
      assert.equal(err.grpcCode, code);
      assert.equal(err.remoteMessage, 'process already finished');
      assert.equal(err.message, 'Remote call failed: process already finished');
      assert.equal(err.details.grpcCode, code);
    }
  });

  it('truncates a long remote message in its own message but keeps it whole in remoteMessage', () => {
    const remote = 'x'.repeat(5000);
    const err = new TtrpcStatusError(2, remote, { method: 'Wait' });
    assert.ok(err.message.length < 600);
    assert.ok(err.message.startsWith(`Remote call failed: ${'x'.repeat(512)}`));
    assert.equal(err.remoteMessage, remote);
    assert.equal(err.details.method, 'Wait');
  });

  it('recovers the CellaError code the remote put in front of its message', () => {
    assert.equal(new TtrpcStatusError(5, '[E_SANDBOX_NOT_FOUND] Sandbox was not found').remoteCode, 'E_SANDBOX_NOT_FOUND');
    assert.equal(new TtrpcStatusError(2, 'cannot pause a paused container').remoteCode, undefined);
    assert.equal(new TtrpcStatusError(2, 'see [E_X] later').remoteCode, undefined);
  });
});

describe('statusFromError', () => {
  it('maps a CellaError to the gRPC code of its category with a [code] prefix and its cause chain', () => {
    const err = E.CONFIG_INVALID.create('Config is invalid', { cause: new Error('ENOENT: no such file') });
    assert.deepEqual(statusFromError(err), { code: GrpcCode.INVALID_ARGUMENT, message: '[E_CONFIG_INVALID] Config is invalid: ENOENT: no such file' });
    assert.equal(statusFromError(E.TIMEOUT.create('Boot timed out')).code, GrpcCode.DEADLINE_EXCEEDED);
    assert.equal(statusFromError(E.NOT_SUPPORTED.create('No')).code, GrpcCode.UNIMPLEMENTED);
    assert.equal(statusFromError(E.SANDBOX_NOT_FOUND.create('Gone')).code, GrpcCode.NOT_FOUND);
  });

  it('passes a TtrpcStatusError through with its code and exact remote message', () => {
    const err = new TtrpcStatusError(GrpcCode.NOT_FOUND, 'process already finished');
    assert.deepEqual(statusFromError(err), { code: 5, message: 'process already finished' });
  });

  it('maps anything else to 2 UNKNOWN', () => {
    assert.deepEqual(statusFromError(new TypeError('boom')), { code: 2, message: 'boom' });
    assert.deepEqual(statusFromError('plain string'), { code: 2, message: 'plain string' });
    assert.deepEqual(statusFromError(undefined), { code: 2, message: 'undefined' });
  });

  it('bounds the message so an error answer always fits in a frame', () => {
    const s = statusFromError(new Error('y'.repeat(10 * 1024 * 1024)));
    assert.ok(s.message.length <= MAX_STATUS_MESSAGE + 1);
  });

  it('lets the client rebuild the category and code of a server-side CellaError', () => {
    const original = E.SANDBOX_EXISTS.create('Sandbox already exists');
    const s = statusFromError(original);
    const back = new TtrpcStatusError(s.code, s.message);
    assert.equal(back.category, original.category);
    assert.equal(back.remoteCode, original.code);
  });
});
