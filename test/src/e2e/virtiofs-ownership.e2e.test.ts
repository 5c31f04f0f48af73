// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, cella, HELLO, makeBundle, tempDir } from '../helpers/cella';

/** Docker's default capabilities: a container running as root has these, CAP_MKNOD and CAP_FSETID among them. */
const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
const NOBODY = '65534';
const UNPRIVILEGED_ID = 2147483646;

/** Major and minor numbers of the block device the host's root filesystem is on. */
function hostDisk(): [number, number] {
  const dev = statSync('/').dev;
  return [Math.floor(dev / 256) & 0xfff, (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00)];
}

/** Run `file args` on the host as uid/gid 65534 with no groups, as a local unprivileged user would. */
function asNobody(file: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', file, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * The attack of issue #9 item 1 through `cella run` with the virtio-fs storage plugin: container root leaves
 * setuid copies and a device node with the host disk's numbers in its rootfs, which lives in a bundle other
 * host users can reach; a host user (65534) then runs them.
 */
describe('virtio-fs ownership: what a container writes cannot raise a host user\'s rights (real VM, real virtiofsd)', function () {
  this.timeout(240_000);
  let root: string;
  let dir: string;
  beforeEach(() => { root = tempDir('root'); dir = tempDir('vfs-own'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A writable copy of the hello rootfs every host user can reach, and the host's id(1) to copy setuid. */
  async function attack(configToml: string): Promise<{ rootfs: string; stdout: string }> {
    await fs.chmod(dir, 0o755);
    const rootfs = join(dir, 'rootfs');
    execFileSync('cp', ['-a', join(HELLO, 'rootfs'), rootfs]);
    await fs.chmod(rootfs, 0o755);
    const payload = join(dir, 'payload');
    await fs.mkdir(payload);
    await fs.copyFile('/usr/bin/id', join(payload, 'id'));
    const [major, minor] = hostDisk();
    const script = [
      'cp /bin/busybox /suid-busybox && chmod 4755 /suid-busybox && echo BUSYBOX-COPY-MADE',
      'cp /payload/id /suid-id && chmod 6755 /suid-id && echo ID-COPY-MADE',
      `mknod /host-disk b ${major} ${minor} && chmod 666 /host-disk && echo MKNOD-MADE`,
      'chmod 4755 /bin/busybox && echo ROOT-FILE-MADE-SETUID',
      'echo written by the container > /written.txt && echo WRITTEN',
    ].map((step) => `{ ${step}; } 2>&1`).join('; ');
    const bundle = await makeBundle(['sh', '-c', script], (s) => {
      s.root = { path: rootfs, readonly: false };
      const proc = s.process as { capabilities: Record<string, string[]> };
      proc.capabilities = { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS };
      (s.mounts as unknown[]).push({ destination: '/payload', type: 'bind', source: payload, options: ['rbind', 'ro'] });
    });
    const config = join(dir, 'config.toml');
    await fs.writeFile(config, `version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n${configToml}`);
    const r = await cella(['run', '--config', config, '--root', root, '--bundle', bundle, 'own1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /WRITTEN/, r.stdout);
    return { rootfs, stdout: r.stdout };
  }

  it('by default: the setuid copies run without euid 0, the device node is refused, root\'s files keep their mode, an ordinary file arrives', async () => {
    const { rootfs, stdout } = await attack('');
    assert.match(stdout, /ID-COPY-MADE/, 'the container may set the bits on its own file');
    const id = asNobody(join(rootfs, 'suid-id'), ['-u']);
    assert.equal(id.code, 0, id.out);
    assert.notEqual(id.out, '0', 'the setuid copy gave euid 0');
    assert.equal(id.out, String(UNPRIVILEGED_ID));
    assert.doesNotMatch(asNobody(join(rootfs, 'suid-id'), ['-g']).out, /^0$/);
    for (const copy of ['suid-busybox', 'suid-id']) {
      const st = await fs.stat(join(rootfs, copy));
      assert.deepEqual([st.uid, st.gid], [UNPRIVILEGED_ID, UNPRIVILEGED_ID], `${copy} is not owned by root on the host`);
    }

    assert.doesNotMatch(stdout, /MKNOD-MADE/);
    assert.match(stdout, /mknod: \/host-disk: Operation not permitted/);
    const node = await fs.stat(join(rootfs, 'host-disk')).catch(() => undefined);
    assert.equal(node, undefined, 'no device node reached the host');

    assert.doesNotMatch(stdout, /ROOT-FILE-MADE-SETUID/);
    const busybox = await fs.stat(join(rootfs, 'bin', 'busybox'));
    assert.deepEqual([busybox.uid, busybox.mode & 0o7777], [0, 0o755], 'a root-owned host file got the setuid bit');

    assert.equal(readFileSync(join(rootfs, 'written.txt'), 'utf8'), 'written by the container\n');
    const written = await fs.stat(join(rootfs, 'written.txt'));
    assert.equal(written.uid, UNPRIVILEGED_ID);
  });

  it('with ownership = "passthrough" (trusting the container), the same attack gives euid 0 and a 0666 node with the host disk\'s numbers', async () => {
    const { rootfs, stdout } = await attack('[plugins."storage.virtiofs"]\nownership = "passthrough"\n');
    assert.match(stdout, /MKNOD-MADE/);
    assert.equal(asNobody(join(rootfs, 'suid-id'), ['-u']).out, '0');
    // What `ls -l` shows a local user: the host disk's numbers, mode 0666. (Opening it is left out: this
    // machine's device policy refuses block devices even to root, which would hide the difference.)
    const node = await fs.stat(join(rootfs, 'host-disk'));
    assert.ok(node.isBlockDevice());
    assert.equal(node.rdev, statSync('/').dev);
    assert.equal(node.mode & 0o777, 0o666);
  });
});
