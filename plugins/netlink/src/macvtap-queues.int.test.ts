// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { constants, existsSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { isCellaError } from '@cella/core/errors';
import { TestNetns, hostLinks } from './test-support/test-netns';
import { addMacvtap, getLinkByName } from './link-ops';
import { openMacvtapQueues } from './macvtap-queues';
import { type SyscallNapi, loadNetlinkModules } from './native-modules';
import { NetlinkClient } from './netlink-client';
import { runInNetnsSync } from './netns';
import { closeFds } from './tun';

/** _IOR('T', 210, unsigned int): the macvtap a queue fd belongs to, by name. */
const TUNGETIFF = 0x800454d2n;
const NR_IOCTL: Partial<Record<string, bigint>> = { x64: 16n, arm64: 29n };

const openFds = (): string[] => readdirSync('/proc/self/fd').sort();
const privateNodes = (): string[] => readdirSync('/dev').filter((n) => n.startsWith('.cella-'));

describe('openMacvtapQueues (needs root: creates network namespaces)', () => {
  let sys: SyscallNapi;
  let namespaces: TestNetns[] = [];
  let fds: number[] = [];
  let hostBefore: string[];
  let fdsBefore: string[];

  /** The name of the macvtap behind a queue fd, as the kernel reports it. */
  const macvtapOf = (fd: number): string => {
    const ifr = Buffer.alloc(40);
    sys.syscall.sync(NR_IOCTL[process.arch]!, BigInt(fd), TUNGETIFF, ifr);
    return ifr.subarray(0, ifr.indexOf(0)).toString();
  };

  /** A namespace with a veth and macvtap `name` on it; returns the namespace and the macvtap's ifindex. */
  async function withMacvtap(name: string): Promise<[TestNetns, number]> {
    const ns = TestNetns.create();
    namespaces.push(ns);
    ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth1');
    const index = await NetlinkClient.with({ netnsPath: ns.path }, async (c) =>
      addMacvtap(c, { name, parentIndex: (await getLinkByName(c, 'eth0'))!.index, mode: 'bridge' }));
    return [ns, index];
  }

  before(async () => { ({ sys } = await loadNetlinkModules()); });

  beforeEach(() => {
    hostBefore = hostLinks();
    fdsBefore = openFds();
  });

  afterEach(() => {
    closeFds(fds);
    fds = [];
    for (const ns of namespaces) ns.remove();
    namespaces = [];
    assert.deepEqual(hostLinks(), hostBefore, 'the host namespace is untouched');
    assert.deepEqual(openFds(), fdsBefore, 'no fd is left open');
    assert.deepEqual(privateNodes(), [], 'no private device node is left in /dev');
  });

  it('opens two queues of a macvtap made by addMacvtap, through /dev/tap<ifindex>, gone with its link', async () => {
    const [ns, index] = await withMacvtap('mvt0');
    const device = `/dev/tap${index}`;
    fds = openMacvtapQueues(index, 2, { netnsPath: ns.path });
    assert.deepEqual(fds.map((fd) => readlinkSync(`/proc/self/fd/${fd}`)), [device, device]);
    assert.deepEqual(fds.map(macvtapOf), ['mvt0', 'mvt0']);
    closeFds(fds);
    fds = [];
    ns.ip('link', 'del', 'mvt0');
    assert.equal(existsSync(device), false, `${device} goes with its macvtap`);
  });

  it('looks the macvtap up in the calling thread\'s namespace inside runInNetnsSync', async () => {
    const [ns, index] = await withMacvtap('mvt0');
    fds = runInNetnsSync(ns.path, () => openMacvtapQueues(index, 1));
    assert.deepEqual(fds.map(macvtapOf), ['mvt0']);
  });

  it('opens each namespace\'s own macvtap when two share an ifindex, and after the first is gone', async () => {
    const [a, indexA] = await withMacvtap('mvta');
    const [b, indexB] = await withMacvtap('mvtb');
    assert.equal(indexA, indexB, 'precondition: both macvtaps have the same ifindex');
    // The hazard: the one /dev/tap<N> is the macvtap created first.
    fds.push(openSync(`/dev/tap${indexB}`, constants.O_RDWR));
    assert.equal(macvtapOf(fds[0]), 'mvta');
    const fdsA = openMacvtapQueues(indexA, 2, { netnsPath: a.path });
    fds.push(...fdsA);
    const fdsB = openMacvtapQueues(indexB, 2, { netnsPath: b.path });
    fds.push(...fdsB);
    assert.deepEqual([...fdsA.map(macvtapOf), ...fdsB.map(macvtapOf)], ['mvta', 'mvta', 'mvtb', 'mvtb']);
    assert.ok(fdsB.every((fd) => readlinkSync(`/proc/self/fd/${fd}`).startsWith('/dev/.cella-tap')), 'B went through a private node');
    closeFds(fds);
    fds = [];
    a.remove();
    const later = openMacvtapQueues(indexB, 1, { netnsPath: b.path });
    fds.push(...later);
    assert.deepEqual(later.map(macvtapOf), ['mvtb']);
  });

  it('fails naming the device and namespace when the namespace has no macvtap of that ifindex', async () => {
    const [ns, index] = await withMacvtap('mvt0');
    assert.throws(() => openMacvtapQueues(index + 100, 2, { netnsPath: ns.path }), (err: unknown) => {
      assert.ok(isCellaError(err, 'E_NETWORK_TAP'));
      assert.deepEqual([err.details.device, err.details.netns], [`/dev/tap${index + 100}`, ns.path]);
      assert.match(String(err.hint), /netnsPath/);
      return true;
    });
  });

  it('refuses a namespace path that is not one', () => {
    assert.throws(() => openMacvtapQueues(4, 1, { netnsPath: '/var/run/netns/cella-t-missing' }), (err: unknown) => isCellaError(err, 'E_NETWORK_NETNS'));
  });
});
