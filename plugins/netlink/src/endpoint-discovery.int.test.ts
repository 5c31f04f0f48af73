// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCellaError } from '@cella/core/errors';
import { discoverEndpoints } from './endpoint-discovery';
import { NUD } from './rtnetlink-constants';
import { TestNetns, hostLinks } from './test-support/test-netns';

/**
 * A pod namespace as CNI would leave it: eth0 (one end of a veth pair whose other end, peer0, sits in a
 * second namespace) with IPv4 and IPv6 addresses, default routes, an on-link route and a static neighbour;
 * plus a veth with no address (only the kernel's link-local one) that discovery must skip.
 */
function buildPod(pod: TestNetns, peer: TestNetns): void {
  pod.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', peer.name);
  pod.ip('link', 'set', 'eth0', 'address', '02:00:0a:c7:0a:02', 'mtu', '1400');
  pod.ip('addr', 'add', '10.199.10.2/24', 'dev', 'eth0');
  pod.ip('addr', 'add', 'fd00:199::2/64', 'dev', 'eth0', 'nodad');
  pod.ip('link', 'add', 'spare0', 'type', 'veth', 'peer', 'name', 'spare1', 'netns', peer.name);
  for (const dev of ['lo', 'eth0', 'spare0']) pod.ip('link', 'set', dev, 'up');
  peer.ip('link', 'set', 'peer0', 'address', '02:00:0a:c7:0a:01', 'mtu', '1400');
  peer.ip('addr', 'add', '10.199.10.1/24', 'dev', 'peer0');
  peer.ip('addr', 'add', '10.199.10.3/24', 'dev', 'peer0');
  peer.ip('addr', 'add', 'fd00:199::1/64', 'dev', 'peer0', 'nodad');
  for (const dev of ['lo', 'peer0', 'spare1']) peer.ip('link', 'set', dev, 'up');
  pod.ip('route', 'add', 'default', 'via', '10.199.10.1');
  pod.ip('-6', 'route', 'add', 'default', 'via', 'fd00:199::1');
  pod.ip('route', 'add', '10.199.20.0/24', 'dev', 'eth0');
  pod.ip('neigh', 'add', '10.199.10.9', 'lladdr', '02:00:0a:c7:0a:09', 'dev', 'eth0', 'nud', 'permanent');
}

describe('discoverEndpoints (needs root: creates network namespaces)', () => {
  let made: TestNetns[] = [];
  let original: string;
  let hostBefore: string[];
  const children: ChildProcess[] = [];

  const netns = (): TestNetns => { const ns = TestNetns.create(); made.push(ns); return ns; };

  beforeEach(() => {
    original = readlinkSync('/proc/self/ns/net');
    hostBefore = hostLinks();
  });

  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const ns of made) ns.remove();
    made = [];
    assert.equal(readlinkSync('/proc/self/ns/net'), original, 'the process is back in its namespace');
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
  });

  it('finds eth0 with its MAC, MTU, addresses, routes and static neighbour, and nothing else', async () => {
    const pod = netns();
    buildPod(pod, netns());
    const ifindex = pod.json<Array<{ ifindex: number }>>('link', 'show', 'eth0')[0].ifindex;

    const found = await discoverEndpoints(pod.path);

    assert.deepEqual(found.interfaces, [{
      name: 'eth0', mac: '02:00:0a:c7:0a:02', mtu: 1400,
      addresses: [{ family: 4, address: '10.199.10.2', prefixLength: 24 }, { family: 6, address: 'fd00:199::2', prefixLength: 64 }],
      ifindex, kind: 'veth', operstate: 'up', flags: found.interfaces[0].flags,
      linkIndex: found.interfaces[0].linkIndex, linkNetnsId: found.interfaces[0].linkNetnsId, master: undefined,
    }]);
    assert.ok(found.interfaces[0].linkNetnsId !== undefined, 'the veth peer lives in another namespace');
    const routes = found.routes.map((r) => `${r.family} ${r.destination} ${r.gateway ?? '-'} ${r.device} scope ${r.scope}`).sort();
    assert.deepEqual(routes, [
      '4 0.0.0.0/0 10.199.10.1 eth0 scope 0',
      '4 10.199.20.0/24 - eth0 scope 253',
      '6 ::/0 fd00:199::1 eth0 scope 0',
    ]);
    assert.deepEqual(found.neighbors, [{ address: '10.199.10.9', mac: '02:00:0a:c7:0a:09', device: 'eth0', state: NUD.PERMANENT }]);
  });

  it('carries a reachable neighbour that is a gateway, not one that is not', async () => {
    const pod = netns();
    buildPod(pod, netns());
    pod.exec('busybox', 'ping', '-c', '1', '-W', '2', '10.199.10.1');
    pod.exec('busybox', 'ping', '-c', '1', '-W', '2', '10.199.10.3');
    const states = pod.json<Array<{ dst: string; state: string[] }>>('neigh', 'show');
    assert.ok(states.some((n) => n.dst === '10.199.10.3' && n.state.includes('REACHABLE')), 'the ping made 10.199.10.3 reachable');

    const found = await discoverEndpoints(pod.path);

    assert.deepEqual(found.neighbors.map((n) => `${n.address} ${n.mac} ${n.state}`).sort(), [
      `10.199.10.1 02:00:0a:c7:0a:01 ${NUD.REACHABLE}`,
      `10.199.10.9 02:00:0a:c7:0a:09 ${NUD.PERMANENT}`,
    ]);
  });

  it('reads a namespace given as /proc/<pid>/ns/net, and two namespaces at once without mixing them', async () => {
    const pod = netns();
    const peer = netns();
    buildPod(pod, peer);
    const child = spawn('ip', ['netns', 'exec', pod.name, 'sleep', '30'], { stdio: 'ignore' });
    children.push(child);
    const byPid = `/proc/${child.pid}/ns/net`;
    const podNetns = `net:[${statSync(pod.path).ino}]`;
    for (let i = 0; i < 100 && readlinkSync(byPid) !== podNetns; i++) await sleep(20);

    const [viaPid, inPeer] = await Promise.all([discoverEndpoints(byPid), discoverEndpoints(peer.path)]);

    assert.deepEqual(viaPid.interfaces.map((i) => i.name), ['eth0']);
    assert.deepEqual(inPeer.interfaces.map((i) => [i.name, i.mac, i.addresses.map((a) => a.address)]), [
      ['peer0', '02:00:0a:c7:0a:01', ['10.199.10.1', '10.199.10.3', 'fd00:199::1']],
    ]);
  });

  it('names a netns without a usable interface in E_NETWORK_NO_INTERFACE', async () => {
    const empty = netns();
    empty.ip('link', 'add', 'spare0', 'type', 'veth', 'peer', 'name', 'spare1');
    for (const dev of ['lo', 'spare0', 'spare1']) empty.ip('link', 'set', dev, 'up');
    await assert.rejects(discoverEndpoints(empty.path), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NO_INTERFACE'));
      assert.equal(err.details.netns, empty.path);
      assert.deepEqual([...(err.details.links as string[])].sort(), ['lo', 'spare0', 'spare1']);
      return true;
    });
  });

  it('names a netns path that does not exist in E_NETWORK_NETNS', async () => {
    const gone = netns();
    gone.remove();
    await assert.rejects(discoverEndpoints(gone.path), (err: unknown) => isCellaError(err, 'E_NETWORK_NETNS') && err.details.netns === gone.path);
  });
});
