// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { assertNothingLeft, cellaToFile as cella, makeBundle, tempDir, type CellaResult } from '../helpers/cella';

/** Every outcome is defined: exit 0, or exit 1 with a coded error and no stack trace. */
function assertClean(what: string, r: CellaResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${what}: a stack trace\n${r.stderr}`);
  if (r.code !== 0) {
    assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /\(E_[A-Z_]+\)/, `${what}: an error without a code\n${r.stderr}`);
  }
}

/** Commands racing each other in one state root (issue #10 item 8 and the concurrency test it asks for). */
describe('concurrency: racing lifecycle commands end in a defined state (real VM)', function () {
  this.timeout(900_000);
  let root: string;
  let bundle: string;
  before(async () => { bundle = await makeBundle(['sh', '-c', 'sleep 1000']); });
  beforeEach(() => { root = tempDir('conc-root'); });
  afterEach(async () => {
    assertNothingLeft(root);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('6 parallel create/start/delete cycles all succeed and leave nothing', async () => {
    // Six TCG guests booting at once on two cores take minutes: the boot deadline is raised for this test only.
    const config = join(tempDir('conc-cfg'), 'config.toml');
    await fs.writeFile(config, 'version = 1\n[sandbox]\nboot_timeout_ms = 480000\n');
    const cycle = async (id: string): Promise<void> => {
      const steps: [string, string[]][] = [
        ['create', ['create', '--config', config, '--root', root, '--bundle', bundle, id]],
        ['start', ['start', '--root', root, id]],
        ['delete', ['delete', '--force', '--root', root, id]],
      ];
      for (const [what, args] of steps) {
        const r = await cella(args, { timeoutMs: 500_000 });
        assert.equal(r.code, 0, `${id} ${what}: ${r.stderr}`);
      }
    };
    // Every cycle runs to its end (a failed one must not leave the others running past the test).
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => cycle(`par${i}`)));
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    for (let i = 0; i < 6 && failures.length > 0; i++) await cella(['delete', '--force', '--root', root, `par${i}`]);
    assert.deepEqual(failures, []);
  });

  it('double create: one wins, the other is refused with a code; double delete --force: both exit 0', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => cella(['create', '--root', root, '--bundle', bundle, 'twice'])));
    for (const [n, r] of [['first', a!], ['second', b!]] as const) assertClean(`create (${n})`, r);
    assert.deepEqual([a!.code, b!.code].sort(), [0, 1], `${a!.stderr}\n${b!.stderr}`);
    assert.match(a!.code === 1 ? a!.stderr : b!.stderr, /already exists/);
    const st = await cella(['state', '--root', root, 'twice']);
    assert.equal(JSON.parse(st.stdout).status, 'created', 'the winner is intact');
    const dels = await Promise.all([0, 1].map(() => cella(['delete', '--force', '--root', root, 'twice'])));
    for (const d of dels) { assertClean('delete --force', d); assert.equal(d.code, 0, d.stderr); }
  });

  it('delete --force during start: both end, and the container is gone', async () => {
    assert.equal((await cella(['create', '--root', root, '--bundle', bundle, 'race'])).code, 0);
    const start = cella(['start', '--root', root, 'race']);
    await new Promise((r) => setTimeout(r, 100));
    const del = await cella(['delete', '--force', '--root', root, 'race']);
    const st = await start;
    assertClean('start', st);
    assertClean('delete --force', del);
    assert.equal(del.code, 0, del.stderr);
    const after = await cella(['state', '--root', root, 'race']);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /does not exist/);
  });
});
