// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import { currentNetns, runInNetns } from './netns';

describe('runInNetns (needs root: creates network namespaces)', () => {
  let ns: TestNetns | undefined;
  let original: string;
  let hostBefore: string[];

  beforeEach(() => {
    original = readlinkSync('/proc/self/ns/net');
    hostBefore = hostLinks();
    ns = TestNetns.create();
  });

  afterEach(() => {
    ns?.remove();
    ns = undefined;
    assert.equal(readlinkSync('/proc/self/ns/net'), original, 'the process is back in its namespace');
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
  });

  it('runs the function inside the namespace and returns to the original one', async () => {
    const inside = await runInNetns(ns!.path, () => currentNetns());
    assert.equal(inside, `net:[${statSync(ns!.path).ino}]`);
    assert.notEqual(inside, original);
    assert.equal(currentNetns(), original);
    assert.equal(readlinkSync('/proc/self/ns/net'), original);
  });

  it('returns to the original namespace when the function throws', async () => {
    await assert.rejects(runInNetns(ns!.path, () => { throw new Error('boom'); }), /boom/);
    assert.equal(readlinkSync('/proc/self/ns/net'), original);
  });

  it('runs only the synchronous part of an async function inside', async () => {
    const seen: string[] = [];
    const pending = await runInNetns(ns!.path, async () => {
      seen.push(currentNetns());
      await Promise.resolve();
      seen.push(currentNetns());
    });
    await pending;
    assert.deepEqual(seen, [`net:[${statSync(ns!.path).ino}]`, original]);
  });

  it('enters a namespace named by /proc/<pid>/ns/net', async () => {
    const child = spawn('ip', ['netns', 'exec', ns!.name, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const path = `/proc/${child.pid}/ns/net`;
      const expected = `net:[${statSync(ns!.path).ino}]`;
      // `ip netns exec` enters the namespace just after it starts.
      for (let i = 0; i < 100 && readlinkSync(path) !== expected; i++) await sleep(20);
      assert.equal(await runInNetns(path, () => currentNetns()), expected);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names a netns path that disappeared in E_NETWORK_NETNS', async () => {
    const path = ns!.path;
    ns!.remove();
    await assert.rejects(runInNetns(path, () => 1), (err: unknown) => isCellaError(err, 'E_NETWORK_NETNS') && err.details.netns === path);
    assert.equal(readlinkSync('/proc/self/ns/net'), original);
  });
});
