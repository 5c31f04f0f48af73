// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { runUntilReady } from '../helpers/background-run';
import { assertNothingLeft, cella, makeBundle, tempDir } from '../helpers/cella';
import { PodNetwork } from '../helpers/pod-network';

interface Check { name: string; status: string; detail: string }

/**
 * VM templates with real QEMU: `cella image build` saves a booted VM (QEMU's migration stream), and `cella run`
 * restores it instead of booting, hot-plugs the sandbox's disks, sets the guest clock and reseeds its random
 * generator. What a user checks: the container behaves as after a cold boot, with its own clock and randomness.
 */
describe('VM templates (real QEMU save and restore)', function () {
  this.timeout(300_000);
  let dir: string;
  let root: string;
  let config: string;
  let built: { code: number | null; stdout: string; stderr: string };
  // Every test restores this template: it is made once, here (the first test checks how).
  before(async () => {
    dir = tempDir('tmpl');
    root = tempDir('root');
    config = join(dir, 'config.toml');
    await fs.writeFile(config, `version = 1\n[plugins."hypervisor.qemu"]\nvm_template = true\nvm_template_dir = "${join(dir, 'templates')}"\n`);
    built = await cella(['image', 'build', '--json', '--config', config, '--root', root]);
  });
  afterEach(() => assertNothingLeft(root));
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(root, { recursive: true, force: true });
  });

  it('image build saves a template once, and check reports it', async () => {
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, /VM template: booting a VM to save it/);
    const template = JSON.parse(built.stdout).template as { key: string; dir: string; bytes: number };
    assert.ok(existsSync(join(template.dir, 'state')), 'the saved state is in the template folder');
    assert.ok(template.bytes > 1 << 20, `${template.bytes} bytes`);
    const again = await cella(['image', 'build', '--config', config, '--root', root]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /VM template [0-9a-f]{12}: cache hit/);
    const check = await cella(['check', '--json', '--config', config, '--root', root]);
    const line = (JSON.parse(check.stdout).checks as Check[]).find((c) => c.name === 'VM template');
    assert.equal(line?.status, 'pass', check.stdout);
    assert.ok(line?.detail.startsWith(template.key.slice(0, 12)), line?.detail);
  });

  it('run restores the template: exit status, hostname, clock, fresh randomness and a hot-plugged volume', async () => {
    const src = join(dir, 'vol-src');
    await fs.mkdir(src, { recursive: true });
    await fs.writeFile(join(src, 'hello.txt'), 'on the volume\n');
    const image = join(dir, 'vol.img');
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', src, image]);
    const script = 'hostname; date +%s; head -c 16 /dev/urandom | od -An -tx1 | tr -d " \\n"; echo; cat /root/hello.txt; echo err >&2; exit 7';
    const bundle = await makeBundle(['sh', '-c', script], (s) => {
      s.hostname = 'from-template';
      (s.mounts as unknown[]).push({ destination: '/root', type: 'ext4', source: image, options: ['ro'] });
    });
    const outputs: string[][] = [];
    for (const id of ['t1', 't2']) {
      const log = join(dir, `${id}.log`);
      const before = Math.floor(Date.now() / 1000);
      const r = await cella(['run', '--config', config, '--root', root, '--debug', '--log', log, '--bundle', bundle, id]);
      assert.equal(r.code, 7, r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => l === 'err').length, 1, r.stderr);
      assert.match(await fs.readFile(log, 'utf8'), /VM restored from a template/);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'from-template');
      const guestTime = Number(lines[1]);
      assert.ok(guestTime >= before - 2 && guestTime <= Math.floor(Date.now() / 1000) + 2, `guest clock ${guestTime}, host ${before}`);
      assert.match(lines[2] ?? '', /^[0-9a-f]{32}$/);
      assert.equal(lines[3], 'on the volume');
      outputs.push(lines);
    }
    assert.notEqual(outputs[0]![2], outputs[1]![2], 'two VMs restored from one template draw different random bytes');
  });

  it('a pod network reaches a restored VM: its NIC is hot-plugged, the peer pings the container', async () => {
    const net = new PodNetwork();
    try {
      const log = join(dir, 'net.log');
      const script = "ip addr show dev eth0; trap 'exit 7' TERM; echo READY; while true; do sleep 1; done";
      const bundle = await makeBundle(['sh', '-c', script], (s) => {
        const linux = s.linux as { namespaces: Array<{ type: string; path?: string }> };
        linux.namespaces = [...linux.namespaces.filter((n) => n.type !== 'network'), { type: 'network', path: net.podPath }];
      });
      const run = await runUntilReady(['run', '--config', config, '--root', root, '--debug', '--log', log, '--bundle', bundle, 'tnet']);
      let stopped = false;
      try {
        assert.match(run.output(), new RegExp(`inet ${net.podIp.replace(/\./g, '\\.')}/24`), run.output());
        assert.match(run.output(), new RegExp(`link/ether ${net.mac}`));
        const ping = await net.inPeer('busybox', ['ping', '-c', '2', '-W', '10', net.podIp]);
        assert.equal(ping.code, 0, `${ping.stdout}${ping.stderr}`);
        const end = await run.stop();
        stopped = true;
        assert.equal(end.code, 7, end.stderr);
      } finally {
        if (!stopped) await run.stop();
      }
      const text = await fs.readFile(log, 'utf8');
      assert.match(text, /VM restored from a template/);
      assert.match(text, /NIC hot-plugged/);
    } finally {
      net.remove();
    }
  });

  it('a virtio-fs sandbox restores too: the share is hot-plugged, host and container see each other\'s files', async () => {
    const vfsConfig = join(dir, 'virtiofs.toml');
    await fs.writeFile(vfsConfig, `${await fs.readFile(config, 'utf8')}[storage]\nplugin = "@cella/storage-virtiofs"\n`);
    const vol = join(dir, 'shared-vol');
    await fs.mkdir(vol, { recursive: true });
    await fs.writeFile(join(vol, 'from-host'), 'written on the host\n');
    const bundle = await makeBundle(['sh', '-c', 'cat /data/from-host; echo from the container > /data/from-guest; grep " / " /proc/mounts'], (s) => {
      (s.mounts as unknown[]).push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw'] });
    });
    const log = join(dir, 'vfs.log');
    const r = await cella(['run', '--config', vfsConfig, '--root', root, '--debug', '--log', log, '--bundle', bundle, 'tvfs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^written on the host$/m);
    assert.match(r.stdout, /^\S+ \/ virtiofs /m, r.stdout);
    assert.equal(await fs.readFile(join(vol, 'from-guest'), 'utf8'), 'from the container\n');
    const text = await fs.readFile(log, 'utf8');
    assert.match(text, /VM restored from a template/);
    assert.match(text, /virtio-fs device hot-plugged/);
  });
});
