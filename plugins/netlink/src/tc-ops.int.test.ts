// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import { addAddress, getLinkByName, setLink } from './link-ops';
import { loadNetlinkModules } from './native-modules';
import { NetlinkClient } from './netlink-client';
import { runInNetnsSync } from './netns';
import { TC_H } from './tc-constants';
import { addIngressQdisc, addRedirectFilter, deleteIngressQdisc, listFilters, listQdiscs } from './tc-ops';
import { closeFds, openTapQueues } from './tun';

const NR_FCNTL: Partial<Record<string, bigint>> = { x64: 72n, arm64: 25n };
const F_SETFL = 4n;
const O_NONBLOCK = 0o4000n;
const ARP = 0x0806;

describe('tc ingress redirect between a veth and a tap (needs root: creates network namespaces)', () => {
  let ns: TestNetns;
  let c: NetlinkClient;
  let tapFds: number[] = [];
  let hostBefore: string[];
  let eth0: number;
  let tap0: number;

  const tc = (...args: string[]): string => execFileSync('tc', ['-n', ns.name, ...args], { encoding: 'utf8' });
  const rxPackets = (name: string): number =>
    ns.json<Array<{ stats64: { rx: { packets: number } } }>>('-s', 'link', 'show', name)[0].stats64.rx.packets;

  /** A broadcast frame of a local experimental ethertype, as a guest would write it to its tap queue. */
  const frame = (): Buffer => Buffer.concat([Buffer.alloc(6, 0xff), Buffer.from([2, 0, 10, 199, 50, 9, 0x88, 0xb5]), Buffer.alloc(46)]);

  /** Frames the tap queue holds for the guest, read until one matches or `ms` pass. */
  async function readFrameFromTap(match: (f: Buffer) => boolean, ms = 3000): Promise<Buffer | undefined> {
    const buf = Buffer.alloc(2048);
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      try {
        const n = readSync(tapFds[0], buf);
        if (match(buf.subarray(0, n))) return Buffer.from(buf.subarray(0, n));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        await sleep(20);
      }
    }
    return undefined;
  }

  beforeEach(async () => {
    const { sys } = await loadNetlinkModules();
    hostBefore = hostLinks();
    ns = TestNetns.create();
    // No IPv6 in this namespace: its neighbour discovery would add frames the counters below must not see.
    ns.exec('busybox', 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6');
    ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ns.ip('addr', 'add', '10.199.50.1/24', 'dev', 'veth1');
    tapFds = runInNetnsSync(ns.path, () => openTapQueues('tap0', 1, { vnetHdr: false }));
    sys.syscall.sync(NR_FCNTL[process.arch]!, BigInt(tapFds[0]), F_SETFL, O_NONBLOCK);
    c = await NetlinkClient.open({ netnsPath: ns.path });
    eth0 = (await getLinkByName(c, 'eth0'))!.index;
    tap0 = (await getLinkByName(c, 'tap0'))!.index;
    for (const index of [eth0, tap0, (await getLinkByName(c, 'veth1'))!.index]) await setLink(c, index, { up: true });
  });

  afterEach(async () => {
    await c.close();
    closeFds(tapFds);
    tapFds = [];
    ns.remove();
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
  });

  it('joins the veth and the tap both ways, as tc and listFilters show, and frames pass until the qdiscs go', async () => {
    await addIngressQdisc(c, eth0);
    await addRedirectFilter(c, eth0, tap0);
    await addIngressQdisc(c, tap0);
    await addRedirectFilter(c, tap0, eth0);

    assert.match(tc('filter', 'show', 'dev', 'eth0', 'parent', 'ffff:'), /u32 .*\n(.*\n)*.*match 00000000\/00000000 at 0\n.*mirred \(Egress Redirect to device tap0\) stolen/);
    assert.match(tc('filter', 'show', 'dev', 'tap0', 'parent', 'ffff:'), /mirred \(Egress Redirect to device eth0\) stolen/);
    assert.deepEqual((await listFilters(c, eth0)).map((f) => [f.kind, f.redirectTo]), [['u32', tap0]]);
    assert.deepEqual((await listFilters(c, tap0)).map((f) => [f.kind, f.redirectTo]), [['u32', eth0]]);
    assert.ok((await listQdiscs(c, eth0)).some((q) => q.kind === 'ingress' && q.handle === TC_H.INGRESS_HANDLE && q.parent === TC_H.INGRESS));

    // veth1 → eth0 ingress → tap0 egress → the guest's queue: an ARP request from veth1 comes out of the tap fd.
    try { ns.exec('busybox', 'arping', '-c', '1', '-w', '1', '-I', 'veth1', '10.199.50.2'); } catch { /* nobody answers */ }
    const arp = await readFrameFromTap((f) => f.length >= 42 && f.readUInt16BE(12) === ARP && f.subarray(38, 42).equals(Buffer.from([10, 199, 50, 2])));
    assert.ok(arp, 'the ARP request reached the tap queue');

    // The guest's frames: tap fd → tap0 ingress → eth0 egress → veth1.
    const before = rxPackets('veth1');
    for (let i = 0; i < 3; i++) writeSync(tapFds[0], frame());
    assert.equal(rxPackets('veth1') - before, 3);

    assert.equal(await deleteIngressQdisc(c, tap0), true);
    const after = rxPackets('veth1');
    for (let i = 0; i < 3; i++) writeSync(tapFds[0], frame());
    assert.equal(rxPackets('veth1') - after, 0, 'without the redirect the frames stay on the tap');

    assert.equal(await deleteIngressQdisc(c, eth0), true);
    assert.equal(await deleteIngressQdisc(c, eth0), false);
    assert.equal(tc('filter', 'show', 'dev', 'eth0', 'parent', 'ffff:'), '');
    assert.deepEqual(await listFilters(c, eth0), []);
    assert.ok(!(await listQdiscs(c, eth0)).some((q) => q.kind === 'ingress'));
  });

  it('reports a second ingress qdisc, and a filter without one, as kernel errors naming the links', async () => {
    await assert.rejects(addRedirectFilter(c, eth0, tap0), (err: unknown) =>
      isCellaError(err, 'E_NETWORK_NETLINK') && err.details.request === 'RTM_NEWTFILTER' && err.details.fromIndex === eth0 && err.details.toIndex === tap0);
    await addIngressQdisc(c, eth0);
    await assert.rejects(addIngressQdisc(c, eth0), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETLINK'));
      assert.deepEqual([err.message, err.details.errno, err.details.index], ['Kernel refused the RTM_NEWQDISC request', 'EEXIST', eth0]);
      return true;
    });
  });

  it('counts the ingress qdisc of a link that is gone as removed', async () => {
    assert.equal(await deleteIngressQdisc(c, 99_999), false);
    assert.deepEqual(await listFilters(c, 99_999), []);
  });
});
