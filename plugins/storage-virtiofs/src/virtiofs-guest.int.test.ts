// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, terminateProcess, type OciMount } from '@cella/core';
import { mountsUnder } from './host-mounts';
import { makeBundle } from './test-support/bundle-fixture';
import { destroyFixture, makeFixture, processesWith, type Fixture } from './test-support/sandbox-fixture';
import { bootVirtiofsGuest, buildVirtiofsGuest, findVirtiofsd, GUEST_HOSTNAME, type GuestFiles } from './test-support/virtiofs-guest';
import { DEFAULT_UNPRIVILEGED_ID } from './virtiofs-config';
import { VirtiofsStorageDriver } from './virtiofs-storage-driver';
import type { VirtiofsdBinary } from './virtiofsd-binary';

describe('virtio-fs share in a real guest (QEMU TCG, the Rust and the C virtiofsd)', function () {
  this.timeout(120_000);
  let guest: GuestFiles;
  let f: Fixture | undefined;
  let driver: VirtiofsStorageDriver | undefined;
  let qemu: ChildProcess | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = await fs.mkdtemp('/tmp/cella-vfs-guest-files-');
    const found = await buildVirtiofsGuest(dir).catch(async (err: unknown) => {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    });
    if ('skip' in found) {
      await fs.rm(dir, { recursive: true, force: true });
      this.test!.parent!.title += ` (skipped: ${found.skip})`;
      this.skip();
    }
    guest = found;
  });

  after(async () => {
    if (guest) await fs.rm(path.dirname(guest.initrd), { recursive: true, force: true });
  });

  afterEach(async () => {
    if (qemu?.pid !== undefined && qemu.exitCode === null) await terminateProcess(qemu.pid, undefined, 500);
    qemu = undefined;
    await driver?.cleanup().catch(() => undefined);
    driver = undefined;
    if (f) await destroyFixture(f);
    f = undefined;
  });

  async function waitConsole(file: string, pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      if (pattern.test(text)) return text;
      if (Date.now() > deadline || (qemu && qemu.exitCode !== null)) {
        assert.fail(`console never showed ${pattern}; it says:\n${text.split('\n').slice(-25).join('\n')}`);
      }
      await sleep(100);
    }
  }

  function line(text: string, key: string): string {
    return text.split(/\r?\n/).find((l) => l.startsWith(`${key}:`))?.slice(key.length + 1).trim() ?? `(no ${key} line)`;
  }

  // Every flavour installed runs the same checks: Cella's Rust virtiofsd from Debian 13 and QEMU's C one.
  for (const flavour of ['rust', 'c'] as const) {
    describe(`with the ${flavour === 'rust' ? 'Rust' : 'C'} virtiofsd`, () => {
      let binary: VirtiofsdBinary | undefined;
      before(async function () {
        binary = await findVirtiofsd(flavour);
        if (binary === undefined) {
          this.test!.parent!.title += ' (skipped: none installed)';
          this.skip();
        }
      });
      for (const config of [{}, { cache_mode: 'never', sandbox: 'chroot', thread_pool_size: 2 }] as const) {
        it(`shows the rootfs and volumes, writes reach the host, ro refuses with EROFS, symlinks stay in the guest, a later rootfs arrives (${JSON.stringify(config)})`, async () => {
          f = await makeFixture('cella-vfs-guest-');
          // QEMU's C virtiofsd cannot translate ids: it runs only with passthrough ownership (refused otherwise).
          const ownership = flavour === 'c' ? { ownership: 'passthrough' as const } : {};
          driver = new VirtiofsStorageDriver(f.sandbox, { ...config, ...ownership, virtiofsd_path: binary!.path });
          const b = await makeBundle(f.root);
          const mounts: OciMount[] = [
            { destination: '/data', type: 'bind', source: b.rwVolume, options: ['rbind', 'rw'] },
            { destination: '/config', type: 'bind', source: b.roVolume, options: ['rbind', 'ro'] },
          ];
          const res = await driver.prepare({ containerId: 'c1', rootfs: { path: b.rootfs, readonly: true }, mounts });
          const device = res.devices[0];
          assert.ok(device?.kind === 'fs');
          const startedLog = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'virtiofsd started');
          assert.equal(startedLog?.flavour, flavour, `the driver started: ${JSON.stringify(startedLog)}`);
          const consoleLog = path.join(f.root, 'console.log');
          const started = Date.now();
          qemu = bootVirtiofsGuest(guest, device.socketPath, consoleLog);
          let stderr = '';
          qemu.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });

          await waitConsole(consoleLog, /WAITING-FOR-C2/, 90_000).catch(async (err: unknown) => {
            const pid = driver!.daemonPid;
            const log = await fs.readFile(path.join(f!.sandbox.runDir, 'vfs', 'virtiofsd.log'), 'utf8').catch(() => '(no log)');
            throw new Error(`${String(err)}\nQEMU stderr: ${stderr}\nvirtiofsd ${String(pid)} alive: ${String(pid !== undefined && isAlive(pid))}; its log:\n${log.slice(-1500)}`);
          });
          const mountedMs = Date.now() - started;
          // Second container, after the guest mounted the share: it must reach the running virtiofsd.
          await fs.mkdir(path.join(f.root, 'second'));
          const b2 = await makeBundle(path.join(f.root, 'second'), 'second-rootfs');
          const res2 = await driver.prepare({ containerId: 'c2', rootfs: { path: b2.rootfs, readonly: false }, mounts: [] });
          assert.deepEqual(res2.devices, []);
          const text = await waitConsole(consoleLog, /VFS-UNMOUNTED/, 60_000);
          for (let i = 0; i < 100 && qemu.exitCode === null; i++) await sleep(100);

          assert.match(text, /VFS-MOUNTED/);
          assert.equal(line(text, 'ROOTFS'), 'rootfs-marker');
          assert.equal(line(text, 'HOST-FILE'), 'written-by-host');
          assert.equal(line(text, 'RO-FILE'), 'read-only-content');
          assert.match(text, /RW-WRITE-OK/);
          assert.equal(await fs.readFile(path.join(b.rwVolume, 'guest-file.txt'), 'utf8'), 'written-by-guest\n');
          // Owned on the host by the unprivileged id (the default ownership), or by root with passthrough.
          const owner = await fs.stat(path.join(b.rwVolume, 'guest-file.txt'));
          assert.equal(owner.uid, flavour === 'c' ? 0 : DEFAULT_UNPRIVILEGED_ID);
          assert.match(line(text, 'RO-WRITE'), /Read-only file system/);
          assert.match(line(text, 'RO-ROOTFS-WRITE'), /Read-only file system/);
          await assert.rejects(fs.access(path.join(b.roVolume, 'refused.txt')));
          const hostHostname = readFileSync('/etc/hostname', 'utf8').trim();
          assert.equal(line(text, 'ESCAPE-ROOTFS'), GUEST_HOSTNAME, `host /etc/hostname is ${hostHostname}`);
          assert.equal(line(text, 'ESCAPE-VOLUME'), GUEST_HOSTNAME);
          assert.notEqual(line(text, 'ESCAPE-ROOTFS'), hostHostname);
          assert.equal(line(text, 'SECOND'), 'second-rootfs');
          assert.equal(qemu.exitCode, 0, `QEMU did not power off cleanly: ${stderr}`);
          if (process.env.CELLA_TEST_DUMP) console.log(text);
          console.log(`      (${binary!.version}: boot to share mounted and checked: ${mountedMs} ms)`);

          const pid = driver.daemonPid;
          await driver.cleanup();
          assert.ok(pid === undefined || !isAlive(pid), 'virtiofsd still runs');
          assert.deepEqual(processesWith(f.sandbox.runDir), []);
          assert.deepEqual(await mountsUnder(f.root), []);
          assert.deepEqual(await fs.readdir(f.sandbox.runDir), []);
          assert.deepEqual(f.journal.entries(), []);
        });
      }
    });
  }
});
