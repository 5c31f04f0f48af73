// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { currentNetns, runInNetns } from './netns';

// These paths fail before any privilege check (open: ENOENT; setns: EINVAL for a file of the wrong kind),
// so they run without root. Entering real namespaces is in netns.int.test.ts.
describe('runInNetns (no root needed)', () => {
  it('names a missing netns path in E_NETWORK_NETNS, runs nothing and stays in its namespace', async () => {
    const before = currentNetns();
    let ran = false;
    await assert.rejects(runInNetns('/var/run/netns/cella-t-does-not-exist', () => { ran = true; }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETNS'));
      assert.equal(err.details.netns, '/var/run/netns/cella-t-does-not-exist');
      assert.equal(err.details.errno, 'ENOENT');
      return true;
    });
    assert.equal(ran, false);
    assert.equal(currentNetns(), before);
  });

  it('refuses a path that is not a network namespace (another namespace kind, a plain file)', async () => {
    const before = currentNetns();
    for (const path of ['/proc/self/ns/uts', '/proc/self/status']) {
      await assert.rejects(runInNetns(path, () => 1), (err: unknown) => isCellaError(err, 'E_NETWORK_NETNS') && err.details.netns === path);
      assert.equal(currentNetns(), before);
    }
  });
});
