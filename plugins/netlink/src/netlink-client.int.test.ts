// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import { loadNetlinkModules } from './native-modules';
import { NetlinkClient } from './netlink-client';
import { runInNetnsSync } from './netns';
import { decodeLink, encodeLink, encodeRoute, linkAttr, routeAttr } from './rtnetlink-codec';
import { AF, NLM_F, RTM, RTN, RTPROT, RT_SCOPE, RT_TABLE } from './rtnetlink-constants';

describe('NetlinkClient (needs root: creates network namespaces)', () => {
  let ns: TestNetns;
  let client: NetlinkClient | undefined;
  let original: string;
  let hostBefore: string[];

  const linkNames = async (c: NetlinkClient): Promise<string[]> =>
    (await c.dump(RTM.GETLINK, encodeLink({}))).map((m) => decodeLink(m.payload, m.header.type).name ?? '').sort();

  beforeEach(() => {
    original = readlinkSync('/proc/self/ns/net');
    hostBefore = hostLinks();
    ns = TestNetns.create();
    ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ns.ip('addr', 'add', '10.199.30.2/24', 'dev', 'eth0');
    ns.ip('link', 'set', 'eth0', 'up');
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
    ns.remove();
    assert.equal(readlinkSync('/proc/self/ns/net'), original);
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
  });

  it('dumps the links of the namespace it was opened in, not the host\'s', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    assert.deepEqual(await linkNames(client), ['eth0', 'lo', 'veth1']);
    assert.equal(readlinkSync('/proc/self/ns/net'), original);
  });

  it('collects a dump that spans many datagrams (131 links)', async () => {
    ns.batch(Array.from({ length: 64 }, (_, i) => `link add va${i} type veth peer name vb${i}`));
    client = await NetlinkClient.open({ netnsPath: ns.path });
    const names = await linkNames(client);
    const expected = ns.json<Array<{ ifname: string }>>('link', 'show').map((l) => l.ifname).sort();
    assert.equal(names.length, 131);
    assert.deepEqual(names, expected);
  });

  it('runs parallel requests one at a time, each getting its own answer', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    const results = await Promise.all(Array.from({ length: 8 }, () => linkNames(client!)));
    for (const r of results) assert.deepEqual(r, ['eth0', 'lo', 'veth1']);
  });

  it('applies an ACKed change (RTM_NEWLINK setting the MTU) that ip then sees', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    const index = ns.json<Array<{ ifindex: number }>>('link', 'show', 'eth0')[0].ifindex;
    assert.deepEqual(await client.request(RTM.NEWLINK, encodeLink({ index }, [linkAttr.mtu(1280)])), []);
    assert.equal(ns.json<Array<{ mtu: number }>>('link', 'show', 'eth0')[0].mtu, 1280);
  });

  it('creates a link (RTM_NEWLINK with IFLA_LINKINFO) inside the namespace only', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    await client.request(RTM.NEWLINK, encodeLink({}, [linkAttr.ifname('cbr0'), linkAttr.linkinfo('bridge')]), NLM_F.CREATE | NLM_F.EXCL);
    assert.equal(ns.json<Array<{ linkinfo?: { info_kind: string } }>>('-d', 'link', 'show', 'cbr0')[0].linkinfo?.info_kind, 'bridge');
    await assert.rejects(
      client.request(RTM.NEWLINK, encodeLink({}, [linkAttr.ifname('cbr0'), linkAttr.linkinfo('bridge')]), NLM_F.CREATE | NLM_F.EXCL),
      (err: unknown) => isCellaError(err, 'E_NETWORK_NETLINK') && err.details.errno === 'EEXIST',
    );
  });

  it('turns a kernel error into E_NETWORK_NETLINK with the errno name', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    await assert.rejects(client.request(RTM.GETLINK, encodeLink({}, [linkAttr.ifname('nope0')])), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETLINK'));
      assert.deepEqual([err.details.request, err.details.errno, err.details.netns], ['RTM_GETLINK', 'ENODEV', ns.path]);
      return true;
    });
  });

  it('keeps the kernel\'s extended-ack text of a refused request', async () => {
    client = await NetlinkClient.open({ netnsPath: ns.path });
    const index = ns.json<Array<{ ifindex: number }>>('link', 'show', 'eth0')[0].ifindex;
    const body = encodeRoute({ family: AF.INET, dstLength: 24, table: RT_TABLE.MAIN, protocol: RTPROT.BOOT, scope: RT_SCOPE.UNIVERSE, type: RTN.UNICAST },
      [routeAttr.dst('10.199.31.0'), routeAttr.gateway('10.199.99.1'), routeAttr.oif(index)]);
    await assert.rejects(client.request(RTM.NEWROUTE, body, NLM_F.CREATE | NLM_F.EXCL), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_NETLINK'));
      assert.equal(err.details.errno, 'ENETUNREACH');
      assert.match(String(err.details.kernelMessage), /gateway/i);
      return true;
    });
  });

  it('opens its socket close-on-exec, so child processes do not inherit it', async () => {
    const sockets = (): Map<string, string> => new Map(readdirSync('/proc/self/fd')
      .map((fd): [string, string] => { try { return [fd, readlinkSync(`/proc/self/fd/${fd}`)]; } catch { return [fd, '']; } })
      .filter(([, target]) => target.startsWith('socket:')));
    const before = sockets();
    client = await NetlinkClient.open({ netnsPath: ns.path });
    const added = [...sockets().keys()].filter((fd) => !before.has(fd));
    assert.equal(added.length, 1);
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${added[0]}`, 'utf8'))?.[1];
    assert.ok(flags !== undefined && (parseInt(flags, 8) & 0o2000000) !== 0, `fd ${added[0]} flags ${flags}`);
  });

  it('refuses requests after close, and closes twice without error', async () => {
    const c = await NetlinkClient.open({ netnsPath: ns.path });
    await c.close();
    await c.close();
    await assert.rejects(c.dump(RTM.GETLINK, encodeLink({})), (err: unknown) => isCellaError(err, 'E_NETWORK_NETLINK_SOCKET'));
  });

  it('needs the po6 swap: node-netlink alone opens its socket on a thread-pool thread, outside the namespace', async () => {
    // Guards the reason for openOnThisThread: if node-netlink ever creates its socket synchronously, this
    // fails and the swap can go.
    const { netlink } = await loadNetlinkModules();
    const sock = await runInNetnsSync(ns.path, () => netlink.open({ family: 0 }));
    try {
      const { packets } = await sock.tryTalk({
        header: { nlmsg_type: BigInt(RTM.GETLINK), nlmsg_flags: BigInt(NLM_F.REQUEST | NLM_F.ACK | NLM_F.DUMP) },
        payload: encodeLink({}),
      });
      const names = packets.map((p) => decodeLink(p.payload, Number(p.header.nlmsg_type)).name).sort();
      assert.deepEqual(names, hostBefore.map((l) => l.split(' ')[0]).sort());
    } finally {
      await sock.close();
    }
  });
});
