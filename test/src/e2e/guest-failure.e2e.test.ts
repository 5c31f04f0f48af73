// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CELLA, HELLO, makeBundle, tempDir } from '../helpers/cella';
import { differentialRoots, runtime } from '../helpers/oci-runtime';

/**
 * A bundle that passes every check on the host but that the guest's crun refuses (issue #15): an RLIMIT_NOFILE
 * above the kernel's fs.nr_open (1048576 by default) cannot be set, which only the kernel that runs the container
 * knows, so nothing before boot can refuse it; runc refuses it at create too. The command must fail with crun's
 * reason instead of a container that goes straight to `stopped`. (An out-of-range oomScoreAdj used to serve here;
 * the spec validation now refuses it before boot.)
 */
const refusedByCrun = (spec: Record<string, unknown>): void => {
  (spec.process as Record<string, unknown>).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2_000_000, hard: 2_000_000 }];
};

describe('a failure in the guest fails the command, as runc fails it (real VM; runc 1.1.5 alongside)', function () {
  this.timeout(180_000);
  const roots = differentialRoots();

  it('create of a bundle crun refuses exits 1 with crun\'s reason and a code, leaves no state and no VM; state says it does not exist', async () => {
    const bundle = await makeBundle(['true'], refusedByCrun);
    const cella = runtime(process.execPath, [CELLA], roots.root);
    const runc = runtime('runc', [], roots.runcRoot);
    const got = cella(['create', '--bundle', bundle, 'bad']);
    const want = runc(['create', '--bundle', bundle, 'bad']);
    assert.equal(want.code, 1, want.stderr);
    assert.equal(got.code, want.code, got.stderr);
    assert.match(got.stderr, /crun could not create the container: setrlimit `RLIMIT_NOFILE`: Operation not permitted/);
    assert.match(got.stderr, /E_AGENT_CONTAINER_REFUSED/);
    assert.doesNotMatch(got.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(cella(['state', 'bad']).code, runc(['state', 'bad']).code, 'neither runtime knows the container');
    assert.equal(cella(['list', '-q']).stdout, '');
  });

  it('run and run -d of a bundle crun refuses exit 1 with crun\'s reason, as runc\'s do, leaving nothing', async () => {
    const bundle = await makeBundle(['echo', 'never printed'], refusedByCrun);
    for (const detach of [[], ['-d']]) {
      const out = join(tempDir('out'), 'run.out');
      const fd = openSync(out, 'w');
      try {
        const got = spawnSync(process.execPath, [CELLA, '--root', roots.root, 'run', ...detach, '--bundle', bundle, 'bad'], { stdio: ['ignore', fd, fd], timeout: 120_000 });
        const want = spawnSync('runc', ['--root', roots.runcRoot, 'run', ...detach, '--bundle', bundle, 'bad'], { stdio: 'ignore', timeout: 60_000 });
        assert.equal(want.status, 1);
        assert.equal(got.status, want.status, readFileSync(out, 'utf8'));
        const text = readFileSync(out, 'utf8');
        assert.match(text, /setrlimit `RLIMIT_NOFILE`: Operation not permitted/);
        assert.doesNotMatch(text, /never printed/);
      } finally {
        closeSync(fd);
      }
    }
  });

  it('exec of a process crun cannot run (a missing binary) exits 255 with crun\'s reason and a code, as runc\'s exits 255; the container runs on', async () => {
    const bundle = await makeBundle(['sleep', '120']);
    const cella = runtime(process.execPath, [CELLA], roots.root);
    const runc = runtime('runc', [], roots.runcRoot);
    const detach = (cmd: string, prefix: string[], root: string): number | null =>
      spawnSync(cmd, [...prefix, '--root', root, 'run', '-d', '--bundle', bundle, 'ex'], { stdio: 'ignore', timeout: 120_000 }).status;
    assert.equal(detach(process.execPath, [CELLA], roots.root), 0);
    assert.equal(detach('runc', [], roots.runcRoot), 0);
    try {
      const got = cella(['exec', 'ex', '/no/such/binary']);
      const want = runc(['exec', 'ex', '/no/such/binary']);
      assert.equal(want.code, 255, want.stderr);
      assert.equal(got.code, want.code, got.stderr);
      assert.match(got.stderr, /crun could not run the exec process: executable file `\/no\/such\/binary` not found/);
      assert.match(got.stderr, /\(E_AGENT_CONTAINER_REFUSED\)/);
      const ok = cella(['exec', 'ex', 'sh', '-c', 'echo still-here']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'still-here\n');
    } finally {
      cella(['delete', '--force', 'ex']);
      runc(['delete', '--force', 'ex']);
    }
  });

  it('a read-only rootfs without /proc, /dev and /sys mount points (as a stock pause image) runs as under runc; the bundle is left as it was', async () => {
    // runc makes the mount points in the bundle's rootfs: each runtime gets its own copy.
    const bare = (): string => {
      const rootfs = join(tempDir('bare'), 'rootfs');
      cpSync(join(HELLO, 'rootfs'), rootfs, { recursive: true, verbatimSymlinks: true });
      for (const d of ['proc', 'dev', 'sys']) rmSync(join(rootfs, d), { recursive: true, force: true });
      return rootfs;
    };
    // The root stays read-only for the container although the VM's copy is attached writable.
    const script = 'ls /proc/self/status /dev/null /sys/kernel >/dev/null && echo mounted; touch /x 2>/dev/null && echo root=rw || echo root=ro';
    const cellaRoot = bare();
    const cellaBundle = await makeBundle(['sh', '-c', script], (s) => { s.root = { path: cellaRoot, readonly: true }; });
    const runcRoot = bare();
    const runcBundle = await makeBundle(['sh', '-c', script], (s) => { s.root = { path: runcRoot, readonly: true }; });
    const got = runtime(process.execPath, [CELLA], roots.root)(['run', '--bundle', cellaBundle, 'bare']);
    const want = runtime('runc', [], roots.runcRoot)(['run', '--bundle', runcBundle, 'bare']);
    assert.equal(want.code, 0, want.stderr);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.stdout, 'mounted\nroot=ro\n');
    assert.ok(!existsSync(join(cellaRoot, 'proc')), 'the mount points are made in the VM\'s copy of the rootfs, not in the bundle');
  });
});
