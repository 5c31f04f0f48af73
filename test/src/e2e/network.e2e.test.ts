// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, CELLA, cella, makeBundle, processesMentioning, tempDir } from '../helpers/cella';
import { runUntilReady } from '../helpers/background-run';
import { PodNetwork } from '../helpers/pod-network';

const PORT = 7000;
/** What the container reports, then a TCP echo server (busybox nc, one `cat` per connection). */
const SCRIPT = [
  'echo "MTU $(cat /sys/class/net/eth0/mtu)"',
  'echo "QUEUES $(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"',
  'ip addr show dev eth0',
  'ip route',
  // The shell is the container's pid 1: without a trap it would ignore the SIGTERM `cella run` forwards.
  "trap 'exit 7' TERM",
  `nc -ll -p ${PORT} -e /bin/cat & echo READY`,
  'wait',
].join('; ');

/** A TCP client run by Node in the peer namespace: sends a line, prints what comes back. */
const ECHO_CLIENT = `const s = require('net').connect(${PORT}, process.argv[1], () => s.write('cella-echo\\n'));
let got = ''; s.on('data', (d) => { got += d; if (got.includes('\\n')) { process.stdout.write(got); s.destroy(); } });
s.on('error', (e) => { console.error(e.message); process.exit(2); }); setTimeout(() => process.exit(3), 20000).unref();`;

/** A bundle patch: the container joins the network namespace at `path` (replacing a new-namespace entry). */
const joinNetns = (path: string) => (s: Record<string, unknown>): void => {
  const linux = s.linux as { namespaces: Array<{ type: string; path?: string }> };
  linux.namespaces = [...linux.namespaces.filter((n) => n.type !== 'network'), { type: 'network', path }];
};

/** Issue #4's acceptance through `cella run`, real VM, real taps and tc filters, in namespaces the test makes. */
describe('pod network carried into the VM (real VM, real netns, veth, tap + tc mirred, macvtap)', function () {
  this.timeout(300_000);
  let root: string;
  let dir: string;
  let net: PodNetwork | undefined;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('net'); });
  afterEach(async () => {
    net?.remove();
    net = undefined;
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
  });

  const config = async (plugin: string, queues: number): Promise<string> => {
    const file = join(dir, 'config.toml');
    await fs.writeFile(file, [
      'version = 1', '[sandbox]', 'default_vcpus = 2', '[network]', `plugin = "${plugin}"`,
      `[plugins."${plugin === '@cella/network-tap' ? 'network.tap' : 'network.macvtap'}"]`, `queues = ${queues}`, '',
    ].join('\n'));
    return file;
  };

  const cases = [['tap', 1], ['tap', 2], ['macvtap', 1], ['macvtap', 2]] as const;
  for (const [kind, queues] of cases) {
    it(`${kind}, ${queues} queue${queues > 1 ? 's' : ''}: the container has the pod's address and route, answers ping and TCP, and delete leaves the namespace as it was`, async () => {
      net = new PodNetwork();
      const linksBefore = net.podLinks();
      const bundle = await makeBundle(['sh', '-c', SCRIPT], joinNetns(net.podPath));
      const run = await runUntilReady(['run', '--config', await config(`@cella/network-${kind}`, queues), '--root', root, '--bundle', bundle, `net-${kind}${queues}`]);
      let stopped = false;
      try {
        const out = run.output();
        assert.match(out, new RegExp(`inet ${net.podIp.replace(/\./g, '\\.')}/24`), out);
        assert.match(out, new RegExp(`default via ${net.peerIp.replace(/\./g, '\\.')} dev eth0`), out);
        assert.match(out, new RegExp(`link/ether ${net.mac}`), out);
        assert.match(out, new RegExp(`^QUEUES ${queues}$`, 'm'), out);
        assert.match(out, /^MTU 1500$/m, out);
        if (kind === 'tap') {
          // While it runs: a tap and the redirect filters joining it to eth0.
          assert.ok(net.podLinks().some((l) => l.startsWith('cella_tap0 tun')), net.podLinks().join('\n'));
          assert.match(net.podFilters('eth0'), /mirred \(Egress Redirect to device cella_tap0\)/);
        } else {
          assert.ok(net.podLinks().some((l) => l.startsWith('cella_mvtap0 macvtap')), net.podLinks().join('\n'));
        }

        const ping = await net.inPeer('busybox', ['ping', '-c', '3', '-W', '10', net.podIp]);
        assert.equal(ping.code, 0, `${ping.stdout}${ping.stderr}`);
        assert.match(ping.stdout, / 0% packet loss/);
        const echo = await net.inPeer(process.execPath, ['-e', ECHO_CLIENT, net.podIp]);
        assert.equal(echo.code, 0, echo.stderr);
        assert.equal(echo.stdout, 'cella-echo\n');

        const end = await run.stop();
        stopped = true;
        assert.equal(end.code, 7, `the SIGTERM reached the container's shell\n${end.stderr}`);
      } finally {
        if (!stopped) await run.stop();
      }
      assert.deepEqual(net.podLinks(), linksBefore, 'the pod namespace holds exactly the links it held before');
      assert.deepEqual(net.podQdiscs(), [], 'no qdisc (and so no filter) is left');
    });
  }

  it('delete --force after the CLI was SIGKILLed removes the tap and the qdisc (journal only)', async () => {
    net = new PodNetwork();
    const linksBefore = net.podLinks();
    const bundle = await makeBundle(['sh', '-c', SCRIPT], joinNetns(net.podPath));
    const child = spawn(process.execPath, [CELLA, 'run', '--config', await config('@cella/network-tap', 1), '--root', root, '--bundle', bundle, 'net-crash'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const closed = new Promise((resolve) => child.on('close', resolve));
    for (let i = 0; i < 1200 && !out.includes('READY') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(out.includes('READY'), out);
    child.kill('SIGKILL');
    await closed;
    // QEMU dies with the CLI (parent-death signal, docs/adr/0012); the qdisc and filters on eth0 outlive both.
    const qemu = (): string[] => processesMentioning(root).filter((p) => p.includes('qemu-system'));
    for (let i = 0; i < 40 && qemu().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(qemu(), [], 'QEMU outlived the CLI that started it');
    assert.notDeepEqual(net.podQdiscs(), []);
    const r = await cella(['delete', '--force', '--root', root, 'net-crash']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(net.podLinks(), linksBefore);
    assert.deepEqual(net.podQdiscs(), []);
  });

  it('names a network namespace path that does not exist, and creates nothing', async () => {
    const missing = join(dir, 'no-such-netns');
    const bundle = await makeBundle(['true'], joinNetns(missing));
    const r = await cella(['run', '--config', await config('@cella/network-tap', 1), '--root', root, '--bundle', bundle, 'netbad1']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(missing), r.stderr);
  });

  it('refuses a namespace without a usable interface, naming it, and leaves it as it was', async () => {
    net = new PodNetwork();
    const bundle = await makeBundle(['true'], joinNetns(net.peerPath));
    // The peer namespace has an address; strip it so nothing is usable.
    await net.inPeer('ip', ['addr', 'flush', 'dev', 'peer0']);
    const before = net.peerLinks();
    const r = await cella(['run', '--config', await config('@cella/network-tap', 1), '--root', root, '--bundle', bundle, 'netbad2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no usable interface/i);
    assert.ok(r.stderr.includes(net.peerPath), r.stderr);
    assert.deepEqual(net.peerLinks(), before);
  });

  it('refuses an interface whose MTU a tap cannot take, naming it, and creates nothing', async () => {
    net = new PodNetwork({ mtu: 65535 });
    const linksBefore = net.podLinks();
    const bundle = await makeBundle(['true'], joinNetns(net.podPath));
    const r = await cella(['run', '--config', await config('@cella/network-tap', 1), '--root', root, '--bundle', bundle, 'netbad3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MTU/);
    assert.match(r.stderr, /65535/);
    assert.match(r.stderr, /eth0/);
    assert.deepEqual(net.podLinks(), linksBefore);
    assert.deepEqual(net.podQdiscs(), []);
  });

  it('refuses queues = 0 in the config, naming the key, before creating anything', async () => {
    net = new PodNetwork();
    const bundle = await makeBundle(['true'], joinNetns(net.podPath));
    const r = await cella(['run', '--config', await config('@cella/network-tap', 0), '--root', root, '--bundle', bundle, 'netbad4']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /queues/);
    assert.deepEqual(net.podQdiscs(), []);
  });
});
