// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { GuestStorage, OciSpec } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { emptyCgroupStats } from './protocol/stats-messages';
import { connectedGuestOnHost } from './test-support/guest-on-host';

/**
 * StatsContainer through the host client and the real guest agent code (fake crun, no VM: the guest's cgroup is
 * read by the VM tests, test/src/e2e/events.e2e.test.ts, and its parsing by guest/cgroup-stats.test.ts).
 */
describe('CellaGuestAgent.statsContainer with the guest agent code on the host', function () {
  this.timeout(20_000);
  const g = connectedGuestOnHost('cella-agent-stats-');

  function create(id: string, args: string[]): Promise<void> {
    const mp = join(g.dir, 'c', id);
    const storages: GuestStorage[] = [{ driver: 'tmpfs', source: '', fstype: 'tmpfs', options: [], mountPoint: mp }];
    const spec: OciSpec = { ociVersion: '1.1.0', process: { user: { uid: 0, gid: 0 }, args, cwd: '/' }, root: { path: join(mp, 'rootfs') }, linux: {} };
    return g.agent.createContainer({ containerId: id, spec, storages });
  }

  it('answers all-zero counters for a created container (crun has not made its cgroup yet)', async () => {
    await create('c1', ['/bin/true']);
    assert.deepEqual(await g.agent.statsContainer('c1'), emptyCgroupStats());
  });

  it('refuses a container whose process has exited, and an unknown one', async () => {
    await create('c2', ['/bin/true']);
    await g.agent.startContainer('c2');
    assert.equal(await g.agent.wait('c2', ''), 0);
    await assert.rejects(g.agent.statsContainer('c2'), (e: unknown) => isCellaError(e, 'E_AGENT_STATE'));
    await assert.rejects(g.agent.statsContainer('nope'), (e: unknown) => isCellaError(e, 'E_AGENT_CONTAINER_NOT_FOUND'));
    await assert.rejects(g.agent.statsContainer('../x'), (e: unknown) => isCellaError(e, 'E_AGENT_INVALID_ARGUMENT'));
  });
});
