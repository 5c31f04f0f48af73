// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { promises as fs, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CELLA, HELLO, tempDir } from '../helpers/cella';
import { startContainerd, type Containerd } from '../helpers/containerd';
import { buildOciImage } from '../helpers/oci-image';

const IMAGE = 'docker.io/library/cella-busybox:latest';
/** Where containerd-shim-runc-v2 keeps the runtime's state (its `--root`) for the default namespace. */
const SHIM_ROOT = '/run/containerd/runc/default';

/** Real containerd (Debian's 1.6) driving cella through containerd-shim-runc-v2 as its runc binary. */
describe('containerd runs containers with cella as the runc binary (real containerd, real VM)', function () {
  this.timeout(300_000);
  let dir: string;
  let containerd: Containerd;

  before(async function () {
    if (spawnSync('containerd', ['--version']).status !== 0) this.skip();
    dir = tempDir('containerd');
    const archive = await buildOciImage(join(HELLO, 'rootfs'), dir, IMAGE);
    containerd = await startContainerd(dir);
    const imported = containerd.ctr(['image', 'import', archive]);
    assert.equal(imported.code, 0, imported.stderr);
  });

  after(async () => {
    await containerd?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('ctr run prints the guest kernel release and reports the container\'s exit status', () => {
    const r = containerd.ctr(['run', '--runc-binary', CELLA, '--rm', IMAGE, 'ctr-e2e-1', 'sh', '-c', 'uname -r; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    const kernel = r.stdout.trim();
    assert.match(kernel, /^\d+\.\d+\.\d+-\S+$/);
    assert.notEqual(kernel, release(), 'the container runs in the guest kernel');
    const left = (() => { try { return readdirSync(SHIM_ROOT).filter((n) => n.startsWith('ctr-e2e')); } catch { return []; } })();
    assert.deepEqual(left, [], 'delete removed the sandbox state');
  });

  it('ctr task exec runs a process in a running container and reports its status', () => {
    const run = containerd.ctr(['run', '-d', '--runc-binary', CELLA, IMAGE, 'ctr-e2e-2', 'sleep', '120']);
    assert.equal(run.code, 0, run.stderr);
    try {
      const exec = containerd.ctr(['task', 'exec', '--exec-id', 'x1', 'ctr-e2e-2', 'sh', '-c', 'echo hi from exec; exit 2']);
      assert.equal(exec.code, 2, exec.stderr);
      assert.equal(exec.stdout, 'hi from exec\n');
      assert.match(containerd.ctr(['task', 'ls']).stdout, /ctr-e2e-2\s+\d+\s+RUNNING/);
    } finally {
      containerd.ctr(['task', 'kill', '-s', 'KILL', 'ctr-e2e-2']);
      for (let i = 0; i < 100 && !/STOPPED/.test(containerd.ctr(['task', 'ls']).stdout); i++) spawnSync('sleep', ['0.1']);
      containerd.ctr(['task', 'delete', 'ctr-e2e-2']);
      containerd.ctr(['container', 'delete', 'ctr-e2e-2']);
    }
    const left = (() => { try { return readdirSync(SHIM_ROOT).filter((n) => n.startsWith('ctr-e2e')); } catch { return []; } })();
    assert.deepEqual(left, [], 'delete removed the sandbox state');
  });
});
