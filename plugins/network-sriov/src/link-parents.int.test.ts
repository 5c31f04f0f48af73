// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readLinkParents } from './link-parents';
import { TestNetns } from './test-support/test-netns';

describe('readLinkParents (needs root: real netlink; no sysfs: fake sysfs elsewhere, no SR-IOV hardware on this machine)', () => {
  before(function () { if (process.getuid?.() !== 0) this.skip(); });

  it('reports the same parent bus and device as `ip -d link` for the links of this namespace', async function () {
    const links = JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; parentbus?: string; parentdev?: string }>;
    const expected = links.filter((l) => l.parentbus !== undefined).map((l) => [l.ifname, { bus: l.parentbus, device: l.parentdev }]);
    if (expected.length === 0) this.skip(); // no link with a parent device on this host
    const found = await readLinkParents('/proc/self/ns/net');
    assert.deepEqual([...found.entries()].sort(), expected.sort());
  });

  it('reports no parent for a veth in a pod namespace (the sysfs fallback is then used)', async () => {
    const ns = TestNetns.create();
    try {
      ns.ip('link', 'add', 'net1', 'type', 'veth', 'peer', 'name', 'net1p');
      assert.deepEqual([...(await readLinkParents(ns.path)).keys()], []);
    } finally {
      ns.remove();
    }
  });
});
