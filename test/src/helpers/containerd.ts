// SPDX-License-Identifier: Apache-2.0
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { HELLO, tempDir } from './cella';
import { buildOciImage } from './oci-image';

export interface Containerd {
  socket: string;
  dir: string;
  ctr(args: string[], opts?: { input?: string; timeoutMs?: number }): { code: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** Debian's containerd on a private socket, root and state folder (CRI off), stopped by `stop()`. */
export async function startContainerd(dir: string): Promise<Containerd> {
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  await fs.writeFile(config, [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${socket}"`,
    '[ttrpc]', `  address = "${socket}.ttrpc"`,
    '[debug]', '  address = ""',
    '[metrics]', '  address = ""',
    '',
  ].join('\n'));
  const log = await fs.open(join(dir, 'containerd.log'), 'w');
  const proc: ChildProcess = spawn('containerd', ['--config', config], { stdio: ['ignore', log.fd, log.fd] });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(socket)) {
    proc.kill('SIGKILL');
    throw new Error(`containerd did not start: ${await fs.readFile(join(dir, 'containerd.log'), 'utf8')}`);
  }
  return {
    socket,
    dir,
    ctr(args, opts = {}) {
      const r = spawnSync('ctr', ['--address', socket, ...args], { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 180_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => { if (proc.exitCode !== null) r(undefined); else proc.once('exit', r); });
      await log.close();
      // containerd leaves its snapshot mounts behind it on purpose; a test's folder must not keep any.
      spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]);
    },
  };
}

/** The busybox image the containerd tests build from the hello rootfs (no registry is reachable). */
export const TEST_IMAGE = 'docker.io/library/cella-busybox:latest';
/** Where containerd-shim-runc-v2 keeps the runtime's state (its `--root`) for the default namespace. */
export const SHIM_ROOT = '/run/containerd/runc/default';

/**
 * Mocha hooks: a private containerd with TEST_IMAGE imported before the tests (skipped when containerd is not
 * installed), stopped and removed after. Read `containerd` inside the tests.
 */
export function containerdWithImage(name: string): { readonly containerd: Containerd } {
  const s = {} as { containerd: Containerd; dir?: string };
  before(async function () {
    if (spawnSync('containerd', ['--version']).status !== 0) this.skip();
    s.dir = tempDir(name);
    const archive = await buildOciImage(join(HELLO, 'rootfs'), s.dir, TEST_IMAGE);
    s.containerd = await startContainerd(s.dir);
    const imported = s.containerd.ctr(['image', 'import', archive]);
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    await s.containerd?.stop();
    if (s.dir) await fs.rm(s.dir, { recursive: true, force: true });
  });
  return s;
}
