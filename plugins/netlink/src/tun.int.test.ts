// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import { loadNetlinkModules } from './native-modules';
import { runInNetnsSync } from './netns';
import { closeFds, openTapQueues } from './tun';

interface TunInfo { type: string; pi: boolean; vnet_hdr: boolean; multi_queue: boolean; numqueues?: number; numdisabled?: number; persist: boolean }

/** Every fd this process holds. */
const openFds = (): string[] => readdirSync('/proc/self/fd').sort();

describe('openTapQueues (needs root: creates network namespaces)', () => {
  let ns: TestNetns;
  let fds: number[] = [];
  let hostBefore: string[];
  let fdsBefore: string[];

  const tunInfo = (name: string): TunInfo | undefined =>
    ns.json<Array<{ linkinfo?: { info_kind: string; info_data: TunInfo } }>>('-d', 'link', 'show', name)[0].linkinfo?.info_data;
  const tapIn = (queues: number, options?: { vnetHdr?: boolean }): number[] => runInNetnsSync(ns.path, () => openTapQueues('tap0', queues, options));

  before(async () => { await loadNetlinkModules(); });

  beforeEach(() => {
    hostBefore = hostLinks();
    fdsBefore = openFds();
    ns = TestNetns.create();
  });

  afterEach(() => {
    closeFds(fds);
    fds = [];
    ns.remove();
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
    assert.deepEqual(openFds(), fdsBefore, 'no fd is left open');
  });

  it('creates a single-queue tap with a vnet header in the namespace only, gone once its fd is closed', () => {
    fds = tapIn(1);
    assert.equal(fds.length, 1);
    assert.match(ns.ip('-d', 'link', 'show', 'tap0'), /tun type tap pi off vnet_hdr on (?!multi_queue)/);
    // ip prints numqueues only for multi-queue taps.
    assert.deepEqual(tunInfo('tap0'), { type: 'tap', pi: false, vnet_hdr: true, multi_queue: false, persist: false });
    assert.ok(!hostLinks().some((l) => l.startsWith('tap0 ')), 'no tap0 on the host');
    assert.match(readFileSync(`/proc/self/fdinfo/${fds[0]}`, 'utf8'), /^iff:\s+tap0$/m);
    closeFds(fds);
    fds = [];
    assert.equal(ns.json('link', 'show').some((l) => l.ifname === 'tap0'), false);
  });

  it('creates a multi-queue tap with one fd per queue', () => {
    fds = tapIn(2);
    assert.equal(new Set(fds).size, 2);
    assert.match(ns.ip('-d', 'link', 'show', 'tap0'), /tun type tap pi off vnet_hdr on multi_queue numqueues 2/);
    assert.deepEqual([tunInfo('tap0')?.multi_queue, tunInfo('tap0')?.numqueues], [true, 2]);
    for (const fd of fds) assert.match(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'), /^iff:\s+tap0$/m);
    closeFds(fds);
    fds = [];
    assert.equal(ns.json('link', 'show').some((l) => l.ifname === 'tap0'), false);
  });

  it('leaves the vnet header off when asked', () => {
    fds = tapIn(1, { vnetHdr: false });
    assert.equal(tunInfo('tap0')?.vnet_hdr, false);
  });

  it('fails naming the tap and queue when the name belongs to another kind of link, leaving no fd open', () => {
    ns.ip('link', 'add', 'tap0', 'type', 'veth', 'peer', 'name', 'tap0p');
    assert.throws(() => tapIn(3), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_TAP'));
      assert.deepEqual([err.details.tap, err.details.queue, err.details.step], ['tap0', 0, 'ioctl TUNSETIFF']);
      return true;
    });
    assert.deepEqual(openFds(), fdsBefore);
  });

  it('refuses a second single-queue attachment to a tap in use, closing the queues it opened', () => {
    fds = tapIn(1);
    const before = openFds();
    assert.throws(() => tapIn(1), (err: unknown) => isCellaError(err, 'E_NETWORK_TAP') && err.details.queue === 0);
    assert.deepEqual(openFds(), before);
  });
});
