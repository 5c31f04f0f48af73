// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCellaError } from '@cella/core';
import { defaultVirtiofsdPaths } from './virtiofs-config';
import { buildVirtiofsdArgs, detectFlavour, probeVirtiofsd, type VirtiofsdArgsOptions } from './virtiofsd-binary';

const base: VirtiofsdArgsOptions = {
  socketPath: '/run/x/vhost.sock', sharedDir: '/run/x/shared', cache: 'auto', threadPoolSize: 1, xattr: false, sandbox: 'namespace',
  ownership: 'passthrough', unprivilegedId: 2147483646, extraArgs: [],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isCellaError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('detectFlavour', () => {
  it('recognises QEMU\'s C virtiofsd from its --version text', () => {
    const text = 'virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n';
    assert.equal(detectFlavour(text), 'c');
  });
  it('recognises the Rust virtiofsd from its --version and --help text', () => {
    assert.equal(detectFlavour('virtiofsd 1.13.2\n'), 'rust');
    assert.equal(detectFlavour('Usage: virtiofsd [OPTIONS]\n      --shared-dir <SHARED_DIR>\n'), 'rust');
  });
  it('says nothing about an unrelated program', () => {
    assert.equal(detectFlavour('GNU coreutils 9.1\n'), undefined);
  });
});

describe('buildVirtiofsdArgs', () => {
  it('builds the Rust command line with separate option values and --xattr only when asked', () => {
    assert.deepEqual(buildVirtiofsdArgs('rust', { ...base, cache: 'metadata', threadPoolSize: 4, xattr: true, extraArgs: ['--announce-submounts'] }), [
      '--socket-path', '/run/x/vhost.sock', '--shared-dir', '/run/x/shared', '--cache', 'metadata', '--sandbox', 'namespace',
      '--thread-pool-size', '4', '--xattr', '--announce-submounts',
    ]);
    assert.ok(!buildVirtiofsdArgs('rust', base).includes('--xattr'));
  });
  it('builds the C command line with -o options and maps cache never to none', () => {
    assert.deepEqual(buildVirtiofsdArgs('c', { ...base, cache: 'never', sandbox: 'chroot' }), [
      '--socket-path=/run/x/vhost.sock', '-o', 'source=/run/x/shared', '-o', 'cache=none', '-o', 'sandbox=chroot',
      '-o', 'no_xattr', '--thread-pool-size=1',
    ]);
    assert.ok(buildVirtiofsdArgs('c', { ...base, xattr: true }).includes('xattr'));
  });
  it('refuses cache_mode metadata and sandbox none for the C virtiofsd, naming the option', () => {
    for (const [over, option] of [[{ cache: 'metadata' }, 'cache_mode'], [{ sandbox: 'none' }, 'sandbox']] as const) {
      try {
        buildVirtiofsdArgs('c', { ...base, ...over });
        assert.fail('no error');
      } catch (err) {
        assert.ok(isCellaError(err));
        assert.equal(err.code, 'E_STORAGE_VIRTIOFSD_OPTION');
        assert.equal(err.details.option, option);
      }
    }
  });
  it('refuses a negative or fractional thread pool size', () => {
    assert.equal(codeOf(() => buildVirtiofsdArgs('rust', { ...base, threadPoolSize: -1 })), 'E_STORAGE_VIRTIOFSD_OPTION');
    assert.equal(codeOf(() => buildVirtiofsdArgs('c', { ...base, threadPoolSize: 1.5 })), 'E_STORAGE_VIRTIOFSD_OPTION');
  });
});

describe('probeVirtiofsd', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-vfsd-probe-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  async function rejectsWith(p: string): Promise<Record<string, unknown>> {
    try {
      await probeVirtiofsd(p);
    } catch (err) {
      assert.ok(isCellaError(err));
      assert.equal(err.code, 'E_STORAGE_VIRTIOFSD');
      return err.details;
    }
    return assert.fail('no error');
  }

  it('names a missing path', async () => {
    const p = path.join(dir, 'nope');
    assert.equal((await rejectsWith(p)).path, p);
  });
  it('names a path that is not executable', async () => {
    const p = path.join(dir, 'virtiofsd');
    await fs.writeFile(p, '#!/bin/sh\necho virtiofsd 1.13.2\n', { mode: 0o644 });
    const d = await rejectsWith(p);
    assert.equal(d.path, p);
    assert.equal(d.exists, true);
  });
  it('tells the flavour and version of a program from what it prints', async () => {
    const p = path.join(dir, 'virtiofsd');
    await fs.writeFile(p, '#!/bin/sh\necho "virtiofsd 1.13.2"\n', { mode: 0o755 });
    assert.deepEqual(await probeVirtiofsd(p), { path: p, flavour: 'rust', version: 'virtiofsd 1.13.2' });
  });
  it('refuses a program that is no virtiofsd', async () => {
    assert.match(String((await rejectsWith('/bin/true')).path), /true$/);
  });

  async function script(name: string, body: string): Promise<string> {
    const p = path.join(dir, name);
    await fs.writeFile(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  }

  it('without a configured path takes the first candidate that answers, passing over missing and broken ones', async () => {
    const broken = await script('broken', 'echo "exec: ld-linux-x86-64.so.2: not found" >&2; exit 127');
    const rust = await script('rust', 'echo "virtiofsd 1.13.2"');
    const c = await script('c', 'echo "virtiofsd version 7.2.22"; echo "using FUSE kernel interface version 7.36"');
    const got = await probeVirtiofsd(undefined, [path.join(dir, 'missing'), broken, rust, c]);
    assert.deepEqual(got, { path: rust, flavour: 'rust', version: 'virtiofsd 1.13.2' });
    assert.equal((await probeVirtiofsd(undefined, [broken, c])).flavour, 'c');
  });
  it('without a configured path names every searched path when none exists', async () => {
    const searched = [path.join(dir, 'a'), path.join(dir, 'b')];
    try {
      await probeVirtiofsd(undefined, searched);
      assert.fail('no error');
    } catch (err) {
      assert.ok(isCellaError(err));
      assert.equal(err.code, 'E_STORAGE_VIRTIOFSD');
      assert.deepEqual(err.details.searched, searched);
    }
  });
  it('without a configured path names the first candidate when candidates exist but none answers', async () => {
    const first = await script('first', 'echo hello');
    const second = await script('second', 'exit 1');
    await assert.rejects(probeVirtiofsd(undefined, [first, second]), (err: unknown) => isCellaError(err) && err.details.path === first);
  });
  it('finds the Rust virtiofsd of scripts/setup-virtiofsd.sh under the cache folder first (when it is installed)', async function () {
    const wrapper = defaultVirtiofsdPaths()[0]!;
    if (!(await fs.stat(wrapper).catch(() => undefined))) this.skip();
    const got = await probeVirtiofsd(undefined);
    assert.equal(got.path, wrapper);
    assert.equal(got.flavour, 'rust');
    assert.match(got.version, /^virtiofsd \d+\.\d+/);
  });
});
