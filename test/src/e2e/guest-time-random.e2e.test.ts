// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { GuestAgent } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { processOutput, sandboxFixture } from '../helpers/sandbox-fixture';

/** Runs `args` in the container (an exec, as `cella exec` does) and returns its output; fails on a non-zero status. */
async function execIn(agent: GuestAgent, id: string, execId: string, args: string[]): Promise<string> {
  await agent.exec(id, execId, { user: { uid: 0, gid: 0 }, args, cwd: '/', env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
  const { out, err, status } = await processOutput(agent, id, execId);
  assert.equal(status, 0, `${args.join(' ')}: ${out}${err}`);
  return out;
}

/**
 * What the host does right after restoring a guest from a saved VM (a VM template), here on a booted guest: set its
 * wall clock (SetGuestDateTime → clock_settime in the guest) and reseed its CRNG (ReseedRandomDev → RNDADDENTROPY and
 * RNDRESEEDCRNG on the guest's real 6.1 kernel: a wrong ioctl number or struct layout fails the call there).
 */
describe('setting the clock and reseeding the CRNG of a guest (real VM)', function () {
  this.timeout(240_000);
  const fx = sandboxFixture('timerandom');

  it('a container sees the time the host set, 3 days ahead; the guest kernel takes a seed and still serves random bytes', async () => {
    const { svc, live } = await fx.start('version = 1\n', 'tr1');
    const agent = live.agent!;

    // A booted guest starts from the host's clock (QEMU's RTC): the jump below is the call's doing.
    const booted = Number((await execIn(agent, 'tr1', 'date0', ['date', '+%s'])).trim());
    assert.ok(Math.abs(booted - Date.now() / 1000) < 120, `guest clock at boot ${booted}, host ${Date.now() / 1000}`);

    const ahead = 3 * 24 * 3600 * 1000;
    const t0 = Date.now();
    await agent.setGuestTime(t0 + ahead);
    const seen = Number((await execIn(agent, 'tr1', 'date1', ['date', '+%s'])).trim());
    const t1 = Date.now();
    assert.ok(seen >= Math.floor((t0 + ahead) / 1000) && seen <= Math.ceil((t1 + ahead) / 1000),
      `the container's clock ${seen} is not the host's + 3 days (${Math.floor((t0 + ahead) / 1000)}..${Math.ceil((t1 + ahead) / 1000)})`);

    // 64 bytes as a restore would send, then the smallest seed allowed (the CRNG is initialised by now).
    await agent.reseedRandom(randomBytes(64));
    await agent.reseedRandom(randomBytes(16));
    await assert.rejects(agent.reseedRandom(Buffer.alloc(8)), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
    const reads = await execIn(agent, 'tr1', 'rand', ['sh', '-c', 'head -c 32 /dev/urandom | od -An -v -tx1 | tr -d " \\n"; echo; head -c 32 /dev/urandom | od -An -v -tx1 | tr -d " \\n"']);
    const [a, b] = reads.trim().split('\n');
    assert.match(a ?? '', /^[0-9a-f]{64}$/, reads);
    assert.match(b ?? '', /^[0-9a-f]{64}$/, reads);
    assert.notEqual(a, b);

    // The sandbox works on after both calls: its container still takes signals and ends.
    await agent.signal('tr1', '', 9);
    assert.equal(await agent.wait('tr1', ''), 137);
    await svc.finish(live, false);
    fx.finished();
  });
});
