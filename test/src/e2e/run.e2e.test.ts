// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { assertNothingLeft, cella, HELLO, makeBundle, tempDir } from '../helpers/cella';

/** Boots real VMs (QEMU + the Debian cloud kernel + the built guest image). */
describe('cella run (real VM)', function () {
  this.timeout(180_000);
  let root: string;

  beforeEach(() => { root = tempDir('root'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('runs the hello bundle inside a guest whose kernel differs from the host', async () => {
    const r = await cella(['run', '--root', root, '--bundle', HELLO, 'hello-e2e']);
    assert.equal(r.code, 0, r.stderr);
    const m = /hello from a Cella VM: kernel (\S+), hostname hello/.exec(r.stdout);
    assert.ok(m, `stdout was: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.notEqual(m[1], release(), 'uname -r in the container is the guest kernel, not the host');
  });

  it('relays stdout and stderr separately and passes the exit status through', async () => {
    const bundle = await makeBundle(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    const r = await cella(['run', '--root', root, '--bundle', bundle, 'status7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err$/m);
    assert.doesNotMatch(r.stdout, /err/);
  });

  it('forwards stdin to the container', async () => {
    const bundle = await makeBundle(['cat']);
    const r = await cella(['run', '--root', root, '--bundle', bundle, 'stdin1'], { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  it('reports the VM dying when QEMU is killed mid-run, and leaves nothing behind', async () => {
    const bundle = await makeBundle(['sh', '-c', 'echo started; sleep 60']);
    const killer = (async (): Promise<void> => {
      // Wait for the container to run (its state says running and names the VM pid), then SIGKILL QEMU.
      for (let i = 0; i < 1200; i++) {
        const st = await fs.readFile(join(root, 'killme', 'state.json'), 'utf8').then(JSON.parse, () => undefined);
        if (st?.status === 'running' && st.vm?.pid) { process.kill(st.vm.pid, 'SIGKILL'); return; }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the container never reached running');
    })();
    const r = await cella(['run', '--root', root, '--bundle', bundle, 'killme']);
    await killer;
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /VM died/);
  });

  it('refuses a bundle without process.args, naming the file and field, and creates nothing', async () => {
    const bundle = await makeBundle([], (s) => { delete (s.process as Record<string, unknown>).args; });
    const r = await cella(['run', '--root', root, '--bundle', bundle, 'noargs']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /process\.args/);
    assert.ok(r.stderr.includes(join(bundle, 'config.json')), r.stderr);
  });

  it('refuses a bundle whose config.json is missing or not JSON', async () => {
    const empty = tempDir('bundle');
    let r = await cella(['run', '--root', root, '--bundle', empty, 'nocfg']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(join(empty, 'config.json')), r.stderr);
    await fs.writeFile(join(empty, 'config.json'), '{ not json');
    r = await cella(['run', '--root', root, '--bundle', empty, 'badjson']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not valid JSON/);
    assert.ok(r.stderr.includes(join(empty, 'config.json')), r.stderr);
  });

  it('refuses a config with a wrongly typed value before creating anything', async () => {
    const dir = tempDir('cfg');
    const file = join(dir, 'config.toml');
    await fs.writeFile(file, 'version = 1\n[sandbox]\ndefault_vcpus = "two"\n');
    for (const args of [['config', 'validate', file], ['run', '--config', file, '--root', root, '--bundle', HELLO, 'badcfg']]) {
      const r = await cella(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, /sandbox\.default_vcpus/);
      assert.match(r.stderr, /integer/);
      assert.match(r.stderr, /"two"/);
    }
    assert.ok(readFileSync(file, 'utf8').includes('two'));
  });

  it('cella check reports QEMU, the accelerator and the guest image', async () => {
    const r = await cella(['check', '--json', '--root', root]);
    assert.equal(r.code, 0, r.stderr);
    const checks = JSON.parse(r.stdout).checks as Array<{ name: string; status: string; detail: string }>;
    const find = (re: RegExp) => checks.find((c) => re.test(c.name));
    assert.equal(find(/qemu/i)?.status, 'pass');
    assert.match(find(/qemu/i)?.detail ?? '', /\d+\.\d+/);
    assert.ok(['pass', 'warn'].includes(find(/kvm|accel/i)?.status ?? ''), JSON.stringify(checks));
    assert.equal(find(/guest image/)?.status, 'pass');
    for (const name of [/vhost-vsock/, /vhost-net/, /tun/, /virtiofsd/]) assert.ok(find(name), `a line for ${name}`);
  });
});
