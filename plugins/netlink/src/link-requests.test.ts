// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { datagrams, loadHexFixture } from './hex-fixture';
import {
  type NetlinkRequest, addressRequest, deleteLinkRequest, macvtapRequest, neighborRequest, routeRequest, setLinkRequest,
} from './link-requests';
import { decodeMessages, encodeMessage } from './netlink-message';
import { decodeAddress, decodeRoute } from './rtnetlink-codec';
import { NLM_F, NUD, RTM, RT_SCOPE } from './rtnetlink-constants';

// Fixtures from fixtures/capture.sh (iproute2 6.1 under strace): ip's command socket is fd 3; eth0 is
// ifindex 2 (10.199.7.2/24, fd00:199::2/64), fxb ifindex 4.

/** Request `index` ip sent on its command socket, and the same request rebuilt with ip's sequence number. */
function compare(fixture: string, index: number, ours: NetlinkRequest): { theirs: Buffer; mine: Buffer } {
  const d = datagrams(loadHexFixture(fixture), 'send', 3)[index];
  const theirs = d.subarray(0, d.readUInt32LE(0));
  const { header } = decodeMessages(theirs)[0];
  const mine = encodeMessage({ type: ours.type, flags: NLM_F.REQUEST | NLM_F.ACK | ours.flags, seq: header.seq, pid: 0 }, ours.body);
  return { theirs, mine };
}

function assertSameBytes(fixture: string, index: number, ours: NetlinkRequest): void {
  const { theirs, mine } = compare(fixture, index, ours);
  assert.deepEqual(mine, theirs);
}

const invalid = (err: unknown): boolean => isCellaError(err, 'E_NETWORK_ARGUMENT') || isCellaError(err, 'E_NETWORK_ADDRESS');

describe('link requests against bytes captured from ip', () => {
  it('sets MAC and MTU as `ip link set dev fxb address … mtu 1400` does', () => {
    assertSameBytes('link-set-mtu-mac', 2, setLinkRequest(4, { mac: '02:00:0a:c7:07:0b', mtu: 1400 })!);
  });

  it('renames and brings up a link in one message as `ip link set dev fxb name fxc up` does', () => {
    assertSameBytes('link-set-name-up', 1, setLinkRequest(4, { name: 'fxc', up: true })!);
  });

  it('sends nothing for an empty change, and clears IFF_UP for up: false', () => {
    assert.equal(setLinkRequest(4, {}), undefined);
    const down = setLinkRequest(4, { up: false })!.body;
    assert.deepEqual([down.readUInt32LE(8), down.readUInt32LE(12)], [0, 1]);
  });

  it('deletes a link by index as `ip link del` does', () => {
    assertSameBytes('link-del', 1, deleteLinkRequest(4));
  });

  it('creates a bridge-mode macvtap as `ip link add link eth0 name fxm type macvtap mode bridge` does', () => {
    assertSameBytes('link-add-macvtap', 1, macvtapRequest({ name: 'fxm', parentIndex: 2, mode: 'bridge' }));
  });

  it('adds an IPv4 address with its broadcast as `ip addr add 10.199.7.10/24 brd + dev eth0` does', () => {
    assertSameBytes('addr-add-brd', 0, addressRequest(2, '10.199.7.10', 24));
  });

  it('adds an IPv6 address without DAD as `ip addr add fd00:199::10/64 dev eth0 nodad` does', () => {
    assertSameBytes('addr-add-nodad', 0, addressRequest(2, 'fd00:199::10', 64, { noDad: true }));
  });

  it('leaves out the broadcast of /31 and /32 and gives 127/8 host scope', () => {
    const p2p = decodeAddress(addressRequest(2, '10.0.0.1', 31).body, RTM.NEWADDR);
    assert.equal(addressRequest(2, '10.0.0.1', 31).body.length, 8 + 8 + 8);
    assert.equal(p2p.scope, RT_SCOPE.UNIVERSE);
    assert.equal(decodeAddress(addressRequest(1, '127.0.0.2', 8).body, RTM.NEWADDR).scope, RT_SCOPE.HOST);
  });

  it('adds a route with gateway and source as `ip route add 10.199.10.0/24 via … dev eth0 src …` does', () => {
    assertSameBytes('route-add-src', 0, routeRequest({ family: 4, destination: '10.199.10.0/24', gateway: '10.199.7.1', index: 2, source: '10.199.7.2' }));
  });

  it('adds an IPv6 default route as `ip -6 route add default via fd00:199::1 dev eth0` does', () => {
    assertSameBytes('route-add-default6', 0, routeRequest({ family: 6, destination: 'default', gateway: 'fd00:199::1', index: 2 }));
  });

  it('gives a route without gateway link scope, and a bare address a host prefix', () => {
    const r = decodeRoute(routeRequest({ family: 4, destination: '10.1.2.3', index: 2 }).body, RTM.NEWROUTE);
    assert.deepEqual([r.destination, r.dstLength, r.scope, r.gateway], ['10.1.2.3', 32, RT_SCOPE.LINK, undefined]);
  });

  it('adds a permanent neighbour as `ip neigh add … nud permanent` does', () => {
    const n = neighborRequest({ address: '10.199.7.30', mac: '02:00:0a:c7:07:1e', index: 2 });
    assertSameBytes('neigh-add', 1, n);
    assert.equal(n.body.readUInt16LE(8), NUD.PERMANENT);
  });
});

describe('link request arguments', () => {
  it('refuses bad link names before anything is sent', () => {
    for (const name of ['', 'a/b', 'has space', 'sixteen-bytes-xx', '..', 'tap%d', 'eth0:1']) {
      assert.throws(() => setLinkRequest(2, { name }), (err: unknown) => isCellaError(err, 'E_NETWORK_ARGUMENT') && err.details.value === name, name);
    }
  });

  it('refuses bad indexes, prefixes, modes and families', () => {
    assert.throws(() => deleteLinkRequest(0), invalid);
    assert.throws(() => deleteLinkRequest(1.5), invalid);
    assert.throws(() => addressRequest(2, '10.0.0.1', 33), invalid);
    assert.throws(() => addressRequest(2, 'fd00::1', 129), invalid);
    assert.throws(() => addressRequest(2, '10.0.0.256', 24), invalid);
    assert.throws(() => macvtapRequest({ name: 'm0', parentIndex: 2, mode: 'toString' as 'bridge' }), invalid);
    assert.throws(() => routeRequest({ family: 4, destination: 'fd00::/64', index: 2 }), invalid);
    assert.throws(() => routeRequest({ family: 4, destination: '10.0.0.0/33', index: 2 }), invalid);
    assert.throws(() => routeRequest({ family: 4, destination: '10.0.0.0/24/1', index: 2 }), invalid);
    assert.throws(() => routeRequest({ family: 6, destination: 'default', gateway: '10.0.0.1', index: 2 }), invalid);
    assert.throws(() => neighborRequest({ address: '10.0.0.1', mac: '02:00:00:00:00', index: 2 }), invalid);
  });
});
