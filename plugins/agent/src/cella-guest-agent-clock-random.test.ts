// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { TtrpcClient } from '@cella/core/ttrpc';
import { AgentErrors } from './agent-errors';
import * as P from './protocol/agent-messages';
import { connectedGuestOnHost } from './test-support/guest-on-host';

/**
 * setGuestTime / reseedRandom through the host client and the real guest agent code (decoders, bounds, handlers).
 * The guest's clock and CRNG are a recording stand-in here (never the host's); the real syscalls run in a real
 * guest in test/src/e2e/guest-time-random.e2e.test.ts.
 */
describe('CellaGuestAgent.setGuestTime / reseedRandom with the guest agent code on the host', function () {
  this.timeout(20_000);
  const g = connectedGuestOnHost('cella-agent-clock-');

  const invalid = (field: string) => (e: unknown): boolean => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT') && e.details.field === field;

  it('hands the guest the time in seconds and microseconds, sub-millisecond fractions included', async () => {
    await g.agent.setGuestTime(Date.UTC(2031, 4, 6, 7, 8, 9, 123));
    await g.agent.setGuestTime(Date.UTC(2000, 0, 1) + 0.5);
    await g.agent.setGuestTime(Date.UTC(2200, 0, 1) - 0.001);
    assert.deepEqual(g.h.clockRandomCalls, [
      ['setTime', Date.UTC(2031, 4, 6, 7, 8, 9) / 1000, 123_000],
      ['setTime', 946_684_800, 500],
      ['setTime', 7_258_118_399, 999_999],
    ]);
  });

  it('hands the guest the seed bytes unchanged', async () => {
    const a = randomBytes(16);
    const b = randomBytes(4096);
    await g.agent.reseedRandom(a);
    await g.agent.reseedRandom(b);
    assert.deepEqual(g.h.clockRandomCalls, [['reseed', a], ['reseed', b]]);
  });

  it('refuses bad arguments on the host, before anything is sent, without the seed in the error', async () => {
    for (const t of [NaN, Infinity, -1, 0, Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2200, 0, 1)]) {
      await assert.rejects(g.agent.setGuestTime(t), invalid('epochMs'), String(t));
    }
    const secret = Buffer.alloc(15, 0x41);
    await assert.rejects(g.agent.reseedRandom(secret), (e: unknown) =>
      invalid('seed')(e) && !JSON.stringify((e as { details: unknown }).details).includes('AAAA') && /15 bytes/.test(String((e as { details: { value: string } }).details.value)));
    await assert.rejects(g.agent.reseedRandom(Buffer.alloc(4097)), invalid('seed'));
    await assert.rejects(g.agent.reseedRandom('not a buffer' as unknown as Buffer), invalid('seed'));
    assert.deepEqual(g.h.clockRandomCalls, []);
  });

  it('has the guest refuse what a confused host sends, naming the field in the message that crosses the wire', async () => {
    const socket = connect(g.h.socketPath);
    await new Promise((r) => socket.once('connect', r));
    const raw = new TtrpcClient(socket, { maxData: P.AGENT_MAX_FRAME });
    try {
      const cases: Array<[string, Buffer, RegExp]> = [
        [P.AgentMethod.SetGuestDateTime, P.encodeSetGuestDateTimeRequest({ sec: 946_684_799, usec: 0 }), /\[E_AGENT_INVALID_ARGUMENT\] SetGuestDateTimeRequest\.Sec is outside/],
        [P.AgentMethod.SetGuestDateTime, P.encodeSetGuestDateTimeRequest({ sec: 1_764_000_000, usec: 1_000_000 }), /\[E_AGENT_INVALID_ARGUMENT\] SetGuestDateTimeRequest\.Usec is outside/],
        [P.AgentMethod.SetGuestDateTime, P.EMPTY, /SetGuestDateTimeRequest\.Sec/],
        [P.AgentMethod.ReseedRandomDev, P.encodeReseedRandomDevRequest(Buffer.alloc(8, 1)), /\[E_AGENT_INVALID_ARGUMENT\] ReseedRandomDevRequest\.data must hold 16 to 4096 bytes, got 8 bytes/],
        [P.AgentMethod.ReseedRandomDev, P.encodeReseedRandomDevRequest(Buffer.alloc(100_000, 1)), /ReseedRandomDevRequest\.data .*got 100000 bytes/],
        [P.AgentMethod.ReseedRandomDev, Buffer.from([0x12, 0x40, 1, 2]), /\[E_AGENT_PROTOCOL\]/],
      ];
      for (const [method, payload, expected] of cases) {
        await assert.rejects(raw.call(P.AGENT_SERVICE, method, payload, { timeoutMs: 5000 }), (e: unknown) =>
          expected.test((e as { remoteMessage?: string }).remoteMessage ?? ''), `${method} ${expected}`);
      }
    } finally {
      raw.close();
      socket.destroy();
    }
    assert.deepEqual(g.h.clockRandomCalls, [], 'nothing reached the clock or the random pool');
  });

  it('reports the guest kernel\'s refusal with the guest\'s code and reason', async () => {
    g.h.clockRandomFailure = AgentErrors.AGENT_CLOCK.create('The guest clock could not be set', { cause: new Error('Operation not permitted') });
    await assert.rejects(g.agent.setGuestTime(Date.now()), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CLOCK') && /Operation not permitted/.test(e.message) && e.details.method === 'SetGuestDateTime');
    g.h.clockRandomFailure = AgentErrors.AGENT_RANDOM.create('The guest CRNG is not initialised yet; a seed of 32 bytes or more credits enough entropy to initialise it');
    await assert.rejects(g.agent.reseedRandom(randomBytes(16)), (e: unknown) =>
      isCellaError(e, 'E_AGENT_RANDOM') && /32 bytes or more/.test(e.message));
  });
});
