// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import {
  addAddress, addMacvtap, addNeighbor, addRoute, deleteLink, deleteLinkByName, getLinkByMac, getLinkByName, listLinks, setLink,
} from './link-ops';
import { NetlinkClient } from './netlink-client';
import { NUD } from './rtnetlink-constants';

interface IpLink { ifindex: number; ifname: string; address: string; mtu: number; flags: string[]; linkinfo?: { info_kind: string; info_data?: { mode?: string } } }
interface IpAddr { ifname: string; addr_info: Array<{ family: string; local: string; prefixlen: number; broadcast?: string; tentative?: boolean }> }
interface IpRoute { dst: string; gateway?: string; dev: string; prefsrc?: string; scope?: string; protocol?: string }
interface IpNeigh { dst: string; dev: string; lladdr: string; state: string[] }

describe('link operations (needs root: creates network namespaces)', () => {
  let ns: TestNetns;
  let c: NetlinkClient;
  let hostBefore: string[];
  let eth0: number;

  const link = (name: string): IpLink => ns.json<IpLink[]>('-d', 'link', 'show', name)[0];

  beforeEach(async () => {
    hostBefore = hostLinks();
    ns = TestNetns.create();
    ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth1');
    c = await NetlinkClient.open({ netnsPath: ns.path });
    eth0 = link('eth0').ifindex;
  });

  afterEach(async () => {
    await c.close();
    ns.remove();
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
  });

  it('finds links by name and by MAC, and lists them as ip does', async () => {
    const mac = link('veth1').address;
    assert.deepEqual([(await getLinkByName(c, 'eth0'))?.index, (await getLinkByName(c, 'eth0'))?.kind], [eth0, 'veth']);
    assert.equal(await getLinkByName(c, 'nope0'), undefined);
    assert.equal((await getLinkByMac(c, mac.toUpperCase()))?.name, 'veth1');
    assert.equal(await getLinkByMac(c, '02:00:00:00:00:99'), undefined);
    assert.deepEqual((await listLinks(c)).map((l) => [l.index, l.name]), ns.json<IpLink[]>('link', 'show').map((l) => [l.ifindex, l.ifname]));
  });

  it('renames a link, sets its MAC and MTU and brings it up in one call', async () => {
    await setLink(c, eth0, { name: 'guest0', mac: '02:00:0a:c7:20:02', mtu: 1400, up: true });
    const l = link('guest0');
    assert.deepEqual([l.ifindex, l.address, l.mtu, l.flags.includes('UP')], [eth0, '02:00:0a:c7:20:02', 1400, true]);
    await setLink(c, eth0, { up: false });
    assert.equal(link('guest0').flags.includes('UP'), false);
  });

  it('deletes links by index and by name, false for a name that is not there', async () => {
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    await deleteLink(c, eth0);
    assert.equal(await deleteLinkByName(c, 'va'), true);
    assert.equal(await deleteLinkByName(c, 'va'), false);
    assert.deepEqual(ns.json<IpLink[]>('link', 'show').map((l) => l.ifname), ['lo']);
  });

  it('creates macvtaps in the modes asked for and returns their ifindex', async () => {
    const bridge = await addMacvtap(c, { name: 'mvt0', parentIndex: eth0, mode: 'bridge' });
    assert.deepEqual([link('mvt0').ifindex, link('mvt0').linkinfo?.info_kind, link('mvt0').linkinfo?.info_data?.mode], [bridge, 'macvtap', 'bridge']);
    await addMacvtap(c, { name: 'mvt1', parentIndex: eth0, mode: 'vepa' });
    assert.equal(link('mvt1').linkinfo?.info_data?.mode, 'vepa');
    await assert.rejects(addMacvtap(c, { name: 'mvt0', parentIndex: eth0, mode: 'bridge' }),
      (err: unknown) => isCellaError(err, 'E_NETWORK_NETLINK') && err.details.errno === 'EEXIST' && err.details.name === 'mvt0');
  });

  it('adds IPv4 (with broadcast) and IPv6 (no DAD) addresses', async () => {
    await setLink(c, eth0, { up: true });
    await addAddress(c, eth0, '10.199.40.2', 24);
    await addAddress(c, eth0, 'fd00:199:40::2', 64, { noDad: true });
    const info = ns.json<IpAddr[]>('addr', 'show', 'dev', 'eth0')[0].addr_info.filter((a) => !a.local.startsWith('fe80'));
    assert.deepEqual(info.map((a) => [a.family, a.local, a.prefixlen, a.broadcast, a.tentative]), [
      ['inet', '10.199.40.2', 24, '10.199.40.255', undefined], ['inet6', 'fd00:199:40::2', 64, undefined, undefined],
    ]);
  });

  it('adds routes (default via a gateway, a prefix with a source, IPv6) that ip then shows', async () => {
    ns.ip('link', 'set', 'eth0', 'up');
    ns.ip('link', 'set', 'veth1', 'up');
    await addAddress(c, eth0, '10.199.41.2', 24);
    await addAddress(c, eth0, 'fd00:199:41::2', 64, { noDad: true });
    await addRoute(c, { family: 4, destination: 'default', gateway: '10.199.41.1', index: eth0 });
    await addRoute(c, { family: 4, destination: '10.199.42.0/24', index: eth0, source: '10.199.41.2' });
    await addRoute(c, { family: 6, destination: 'fd00:199:43::/64', gateway: 'fd00:199:41::1', index: eth0 });
    const v4 = ns.json<IpRoute[]>('-4', 'route', 'show').filter((r) => r.protocol !== 'kernel');
    assert.deepEqual(v4.map((r) => [r.dst, r.gateway, r.dev, r.prefsrc, r.scope]), [
      ['default', '10.199.41.1', 'eth0', undefined, undefined], ['10.199.42.0/24', undefined, 'eth0', '10.199.41.2', 'link'],
    ]);
    assert.ok(ns.json<IpRoute[]>('-6', 'route', 'show').some((r) => r.dst === 'fd00:199:43::/64' && r.gateway === 'fd00:199:41::1'));
  });

  it('adds permanent and reachable neighbours', async () => {
    await setLink(c, eth0, { up: true });
    await addNeighbor(c, { address: '10.199.44.1', mac: '02:00:0a:c7:2c:01', index: eth0 });
    await addNeighbor(c, { address: 'fd00:199:44::1', mac: '02:00:0a:c7:2c:02', index: eth0, state: NUD.REACHABLE });
    const neigh = ns.json<IpNeigh[]>('neigh', 'show', 'dev', 'eth0');
    assert.deepEqual(neigh.find((n) => n.dst === '10.199.44.1')?.state, ['PERMANENT']);
    assert.equal(neigh.find((n) => n.dst === 'fd00:199:44::1')?.lladdr, '02:00:0a:c7:2c:02');
  });

  it('reports an unknown link as E_NETWORK_NETLINK ENODEV naming it', async () => {
    const missing = 9999;
    await assert.rejects(setLink(c, missing, { mtu: 1400 }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETLINK'));
      assert.deepEqual([err.details.errno, err.details.index, err.details.request, err.details.netns], ['ENODEV', missing, 'RTM_NEWLINK', ns.path]);
      return true;
    });
    await assert.rejects(addAddress(c, missing, '10.199.45.2', 24), (err: unknown) => isCellaError(err, 'E_NETWORK_NETLINK') && err.details.address === '10.199.45.2/24');
    await assert.rejects(deleteLink(c, missing), (err: unknown) => isCellaError(err, 'E_NETWORK_NETLINK') && err.details.errno === 'ENODEV');
  });

  it('reports a refused route with the kernel\'s text and the route', async () => {
    ns.ip('link', 'set', 'eth0', 'up');
    await assert.rejects(addRoute(c, { family: 4, destination: '10.199.46.0/24', gateway: '10.199.99.1', index: eth0 }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETLINK'));
      assert.equal(err.details.errno, 'ENETUNREACH');
      assert.deepEqual(err.details.route, { destination: '10.199.46.0/24', gateway: '10.199.99.1', source: undefined });
      assert.match(String(err.details.kernelMessage), /gateway/i);
      return true;
    });
  });

  it('refuses bad arguments before asking the kernel', async () => {
    await assert.rejects(getLinkByName(c, 'a/b'), (err: unknown) => isCellaError(err, 'E_NETWORK_ARGUMENT'));
    await assert.rejects(setLink(c, eth0, { name: 'x'.repeat(16) }), (err: unknown) => isCellaError(err, 'E_NETWORK_ARGUMENT'));
    await assert.rejects(addAddress(c, eth0, '10.1.1.1', 40), (err: unknown) => isCellaError(err, 'E_NETWORK_ARGUMENT'));
    assert.equal(link('eth0').ifname, 'eth0');
  });
});
