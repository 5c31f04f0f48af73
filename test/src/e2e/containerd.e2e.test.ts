// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { release } from 'node:os';
import { CELLA } from '../helpers/cella';
import { containerdWithImage, SHIM_ROOT, TEST_IMAGE } from '../helpers/containerd';

/** Real containerd (Debian's 1.6) driving cella through containerd-shim-runc-v2 as its runc binary. */
describe('containerd runs containers with cella as the runc binary (real containerd, real VM)', function () {
  this.timeout(300_000);
  const cd = containerdWithImage('containerd');

  it('ctr run prints the guest kernel release and reports the container\'s exit status', () => {
    const r = cd.containerd.ctr(['run', '--runc-binary', CELLA, '--rm', TEST_IMAGE, 'ctr-e2e-1', 'sh', '-c', 'uname -r; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    const kernel = r.stdout.trim();
    assert.match(kernel, /^\d+\.\d+\.\d+-\S+$/);
    assert.notEqual(kernel, release(), 'the container runs in the guest kernel');
    const left = (() => { try { return readdirSync(SHIM_ROOT).filter((n) => n.startsWith('ctr-e2e')); } catch { return []; } })();
    assert.deepEqual(left, [], 'delete removed the sandbox state');
  });

  it('ctr task exec runs a process in a running container and reports its status', () => {
    const run = cd.containerd.ctr(['run', '-d', '--runc-binary', CELLA, TEST_IMAGE, 'ctr-e2e-2', 'sleep', '120']);
    assert.equal(run.code, 0, run.stderr);
    try {
      const exec = cd.containerd.ctr(['task', 'exec', '--exec-id', 'x1', 'ctr-e2e-2', 'sh', '-c', 'echo hi from exec; exit 2']);
      assert.equal(exec.code, 2, exec.stderr);
      assert.equal(exec.stdout, 'hi from exec\n');
      assert.match(cd.containerd.ctr(['task', 'ls']).stdout, /ctr-e2e-2\s+\d+\s+RUNNING/);
    } finally {
      cd.containerd.ctr(['task', 'kill', '-s', 'KILL', 'ctr-e2e-2']);
      for (let i = 0; i < 100 && !/STOPPED/.test(cd.containerd.ctr(['task', 'ls']).stdout); i++) spawnSync('sleep', ['0.1']);
      cd.containerd.ctr(['task', 'delete', 'ctr-e2e-2']);
      cd.containerd.ctr(['container', 'delete', 'ctr-e2e-2']);
    }
    const left = (() => { try { return readdirSync(SHIM_ROOT).filter((n) => n.startsWith('ctr-e2e')); } catch { return []; } })();
    assert.deepEqual(left, [], 'delete removed the sandbox state');
  });
});
