// SPDX-License-Identifier: Apache-2.0
/**
 * Real build and real boot: builds the guest image (Debian's cloud kernel) into a fresh temp cache,
 * then boots it with QEMU (TCG) and a placeholder agent. Only the downloaded kernel package is shared
 * between runs, in /var/cache/cella-test/downloads, so each run measures a cold image build.
 * Needs root, network or that cached package, apt lists, qemu-system-x86_64.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { release as hostRelease, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError, nullLogger, type GuestImageRecord, type SandboxContext } from '@cella/core';
import { CellaGuestImage } from './cella-guest-image';
import { GuestImageBuilder } from './guest-image-builder';

const SHARED_DOWNLOADS = '/var/cache/cella-test/downloads';
const MARKER = 'CELLA-PLACEHOLDER-AGENT';

// Stands in for the real agent: reports the kernel, runs crun, lists mounts, then exits (init powers off).
const PLACEHOLDER_AGENT = `'use strict';
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
const uptime = fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0];
console.log('${MARKER} release=' + release + ' uptime=' + uptime + ' hostname=' + os.hostname());
const crun = spawnSync('/usr/bin/crun', ['--version'], { encoding: 'utf8' });
console.log('CRUN status=' + crun.status + ' ' + String(crun.stdout || crun.error).split('\\n')[0]);
const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').trim().split('\\n').map((l) => l.split(' ').slice(1, 3).join('='));
console.log('MOUNTS ' + mounts.join(' '));
const portsDir = '/sys/class/virtio-ports';
const ports = fs.existsSync(portsDir) ? fs.readdirSync(portsDir).map((p) => fs.readFileSync(portsDir + '/' + p + '/name', 'utf8').trim()) : [];
console.log('PORTS ' + ports.join(' '));
// The agent loads the other modules on demand: check they load from the image's /lib/modules.
const probe = spawnSync('/sbin/modprobe', ['-a', 'virtio_net', 'virtiofs', 'overlay'], { encoding: 'utf8' });
if (probe.status !== 0) console.log('MODPROBE failed ' + String(probe.stderr || probe.error));
const loaded = () => fs.readFileSync('/proc/modules', 'utf8').split('\\n').map((l) => l.split(' ')[0]);
console.log('MODULES ' + loaded().join(' '));
`;

interface BootResult {
  console: string;
  exitCode: number | null;
  totalMs: number;
  /** Host time from QEMU start until the marker appeared on the console. */
  markerMs?: number;
}

describe('GuestImageBuilder and CellaGuestImage (real build, real QEMU)', function () {
  this.timeout(240_000);
  let dir: string;
  let agent: string;
  let builder: GuestImageBuilder;
  let image: GuestImageRecord;
  const children = new Set<ChildProcess>();

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'cella-image-int-'));
    agent = join(dir, 'agent.js');
    await fs.writeFile(agent, PLACEHOLDER_AGENT);
    await fs.mkdir(SHARED_DOWNLOADS, { recursive: true });
    await fs.mkdir(join(dir, 'cache'));
    await fs.symlink(SHARED_DOWNLOADS, join(dir, 'cache', 'downloads'));
    await fs.mkdir(join(dir, 'agent-modules', 'node_modules'), { recursive: true });
    builder = new GuestImageBuilder({ cacheDir: join(dir, 'cache'), agentBundle: agent, agentNodeModules: join(dir, 'agent-modules') }, nullLogger);
  });

  after(async () => {
    for (const child of children) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  function boot(append: string, disk: 'virtio-blk' | 'virtio-scsi' | 'none' = 'virtio-blk', extra: string[] = []): Promise<BootResult> {
    const consoleLog = join(dir, `console-${Date.now()}.log`);
    const drive = ['-drive', `file=${image.files.image},if=none,id=r,format=raw,readonly=on`];
    const args = [
      '-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-m', '512', '-nodefaults', '-nographic',
      '-kernel', image.files.kernel as string, '-initrd', image.files.initrd as string, '-append', append,
      ...(disk === 'virtio-blk' ? [...drive, '-device', 'virtio-blk-pci,drive=r,serial=cella-guest-root'] : []),
      ...(disk === 'virtio-scsi' ? [...drive, '-device', 'virtio-scsi-pci', '-device', 'scsi-hd,drive=r,serial=cella-guest-root'] : []),
      '-serial', `file:${consoleLog}`, '-no-reboot', ...extra,
    ];
    const started = Date.now();
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    let markerMs: number | undefined;
    const poll = setInterval(() => {
      void fs.readFile(consoleLog, 'utf8').then((t) => {
        if (markerMs === undefined && t.includes(MARKER)) markerMs = Date.now() - started;
      }, () => undefined);
    }, 50);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        clearInterval(poll);
        clearTimeout(deadline);
        children.delete(child);
        void fs.readFile(consoleLog, 'utf8').then((text) => {
          if (markerMs === undefined && text.includes(MARKER)) markerMs = Date.now() - started;
          resolve({ console: (text + stderr).replace(/\r/g, ''), exitCode: code, totalMs: Date.now() - started, markerMs });
        }, reject);
      });
    });
  }

  it('builds the image cold, and the second build is a cache hit with the same key', async () => {
    const lines: string[] = [];
    let t = Date.now();
    image = await builder.build({ progress: (l) => lines.push(l) });
    const coldMs = Date.now() - t;
    assert.match(lines.join('\n'), /\[1\/6\] kernel: linux-image-.*cloud-amd64/);
    assert.match(lines.join('\n'), /\[6\/6\] image [0-9a-f]{12} ready/);
    for (const f of ['kernel', 'initrd', 'image']) assert.ok(existsSync(image.files[f] as string), f);
    const initrdBytes = (await fs.stat(image.files.initrd as string)).size;
    assert.ok(initrdBytes < 8 * 1024 * 1024, `initramfs is small (${initrdBytes} bytes)`);
    assert.equal(image.current, true);

    const warmLines: string[] = [];
    t = Date.now();
    const again = await builder.build({ progress: (l) => warmLines.push(l) });
    const warmMs = Date.now() - t;
    assert.equal(again.key, image.key);
    assert.match(warmLines.join('\n'), /cache hit/);
    assert.ok(warmMs < coldMs, `warm ${warmMs} ms < cold ${coldMs} ms`);
    assert.deepEqual((await builder.list()).map((r) => r.key), [image.key]);
    process.stdout.write(`      build: cold ${coldMs} ms, warm ${warmMs} ms; sizes ${JSON.stringify(await sizes(image))}\n` +
      `      ${lines.join('\n      ')}\n`);
  });

  it('boots to the agent, which sees the guest kernel, its mounts and a working crun, then powers off', async () => {
    const agentPort = [
      '-chardev', `socket,id=agent,path=${join(dir, 'agent.sock')},server=on,wait=off`,
      '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=agent,name=agent.channel.0',
    ];
    const res = await boot('console=ttyS0 quiet panic=-1 cella.hostname=int-test', 'virtio-blk', agentPort);
    // The firmware's terminal escapes may precede the first line the guest prints.
    const line = res.console.split('\n').find((l) => l.includes(MARKER))?.replace(/^.*?(?=CELLA-)/, '');
    assert.ok(line, `agent marker on the console:\n${res.console}`);
    const guestRelease = /release=(\S+)/.exec(line)?.[1];
    assert.equal(guestRelease, image.kernelRelease);
    assert.notEqual(guestRelease, hostRelease());
    assert.match(line, /hostname=int-test/);
    assert.match(res.console, /CRUN status=0 crun version \d/);
    const mounts = res.console.split('\n').find((l) => l.startsWith('MOUNTS ')) ?? '';
    for (const m of ['/=ext4', '/dev=devtmpfs', '/dev/pts=devpts', '/dev/shm=tmpfs', '/run=tmpfs', '/tmp=tmpfs', '/sys/fs/cgroup=cgroup2']) {
      assert.ok(mounts.split(' ').includes(m), `${m} in ${mounts}`);
    }
    assert.match(res.console, /^PORTS agent\.channel\.0$/m);
    const modules = (res.console.split('\n').find((l) => l.startsWith('MODULES ')) ?? '').split(' ');
    for (const m of ['virtio_pci', 'virtio_blk', 'virtio_console', 'virtio_net', 'virtiofs', 'fuse', 'overlay']) {
      assert.ok(modules.includes(m), `module ${m} loaded: ${modules.join(' ')}`);
    }
    assert.match(res.console, /cella-init: the agent exited with status 0/);
    assert.equal(res.exitCode, 0);
    const uptime = /uptime=(\S+)/.exec(line)?.[1];
    process.stdout.write(`      boot to agent: ${res.markerMs} ms host time (guest uptime ${uptime} s), VM gone after ${res.totalMs} ms\n`);
  });

  it('prints CELLA-POWEROFF and exits at once with cella.poweroff=1', async () => {
    const res = await boot('console=ttyS0 quiet panic=-1 cella.poweroff=1');
    assert.match(res.console, /CELLA-POWEROFF/);
    assert.ok(!res.console.includes(MARKER), 'the agent did not start');
    assert.equal(res.exitCode, 0);
    process.stdout.write(`      poweroff boot: ${res.totalMs} ms\n`);
  });

  it('finds its root disk by serial on virtio-scsi too', async () => {
    const res = await boot('console=ttyS0 quiet panic=-1', 'virtio-scsi');
    assert.ok(res.console.includes(`${MARKER} release=${image.kernelRelease}`), res.console);
    assert.equal(res.exitCode, 0);
  });

  it('says which disk it could not find and powers off instead of hanging', async () => {
    const res = await boot('console=ttyS0 quiet panic=-1', 'none');
    assert.match(res.console, /cella-init: no disk with serial cella-guest-root/);
    assert.equal(res.exitCode, 0);
  });

  it('boot() hands out the image and agent channel, and refuses with E_IMAGE_STALE once the agent changes', async () => {
    const sandbox = { id: 'Sbx_1', runDir: join(dir, 'run') } as SandboxContext;
    const serial = new CellaGuestImage(builder, { transport: 'virtio-serial', vsockPort: 1024, kernelParams: ['console=hvc0'] });
    const b = await serial.boot(sandbox);
    assert.equal(b.kernel, image.files.kernel);
    assert.equal(b.initrd, image.files.initrd);
    assert.equal(b.image, image.files.image);
    assert.deepEqual(b.agentChannel, { kind: 'virtio-serial', socketPath: join(dir, 'run', 'agent.sock'), name: 'agent.channel.0' });
    assert.deepEqual(b.kernelParams, ['quiet', 'panic=-1', 'cella.agent=virtio-serial:agent.channel.0', 'console=hvc0']);

    const vsock = await new CellaGuestImage(builder, { transport: 'vsock', vsockPort: 1024, kernelParams: [] }).boot(sandbox);
    assert.equal(vsock.agentChannel.kind, 'vsock');
    assert.ok(vsock.agentChannel.kind === 'vsock' && vsock.agentChannel.cid >= 3 && vsock.agentChannel.port === 1024);
    assert.ok(vsock.kernelParams.includes('cella.agent=vsock:1024'));

    await fs.writeFile(agent, `${PLACEHOLDER_AGENT}// changed\n`);
    await assert.rejects(serial.boot(sandbox), (err: unknown) =>
      isCellaError(err, 'E_IMAGE_STALE') && /cella image build/.test(err.hint ?? ''));
    await fs.writeFile(agent, PLACEHOLDER_AGENT);
    assert.equal((await serial.boot(sandbox)).image, image.files.image);
  });

  it('prune keeps the current image and deletes the older one', async () => {
    await fs.writeFile(agent, `${PLACEHOLDER_AGENT}// second version\n`);
    const second = await builder.build({});
    assert.notEqual(second.key, image.key);
    // An installation whose inputs match the older image still boots it although `current` moved on.
    await fs.writeFile(agent, PLACEHOLDER_AGENT);
    const serial = new CellaGuestImage(builder, { transport: 'virtio-serial', vsockPort: 1024, kernelParams: [] });
    assert.equal((await serial.boot({ id: 'x', runDir: join(dir, 'run') } as SandboxContext)).image, image.files.image);
    await fs.writeFile(agent, `${PLACEHOLDER_AGENT}// second version\n`);
    assert.deepEqual((await builder.list()).map((r) => [r.key, r.current]), [[second.key, true], [image.key, false]]);
    assert.deepEqual(await builder.prune(), [image.key]);
    assert.equal(existsSync(image.dir), false);
    assert.equal((await builder.current())?.key, second.key);
  });
});

async function sizes(rec: GuestImageRecord): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of ['kernel', 'initrd', 'image']) {
    const st = await fs.stat(rec.files[f] as string);
    out[f] = `${(st.size / 1048576).toFixed(1)} MiB (${(st.blocks * 512 / 1048576).toFixed(1)} MiB on disk)`;
  }
  return out;
}
