// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { CELLA, makeBundle } from '../helpers/cella';
import { differentialRoots, type Result, type Runtime, runtime } from '../helpers/oci-runtime';

/** Streams `events` until `enough` lines (or the deadline), then stops it with SIGTERM as a user's Ctrl-C would. */
function stream(root: string, args: string[], enough: (lines: string[]) => boolean, deadlineMs: number): Promise<string[]> {
  const child = spawn(process.execPath, [CELLA, '--root', root, 'events', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  const lines = (): string[] => text.split('\n').filter((l) => l !== '');
  return new Promise((resolve, reject) => {
    const stop = (): void => { child.kill('SIGTERM'); };
    const timer = setTimeout(stop, deadlineMs);
    child.stdout.on('data', (d) => { text += d; if (enough(lines())) stop(); });
    child.on('error', reject);
    child.on('close', () => { clearTimeout(timer); resolve(lines()); });
  });
}

async function waitStopped(rt: Runtime, id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = rt(['state', id]);
    if (r.code === 0 && (JSON.parse(r.stdout) as { status: string }).status === 'stopped') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${id} never stopped`);
}

type Json = Record<string, unknown>;
const at = (v: Json, ...path: string[]): Json => path.reduce((o, k) => o[k] as Json, v);

/** True when `sub`'s keys appear in `all` in the same order (cella fills a subset of runc's cgroup v1 fields). */
function inOrder(sub: string[], all: string[]): boolean {
  let i = 0;
  for (const k of all) if (k === sub[i]) i++;
  return i === sub.length;
}

/** `cella events` against real VMs, compared with `runc events` on the same bundle. */
describe('cella events (real VM)', function () {
  this.timeout(300_000);
  const roots = differentialRoots();

  it('--stats reads cpu, memory and pids in the guest, in runc\'s shape; --interval streams; refusals match runc', async () => {
    const bundle = await makeBundle(['sh', '-c', 'while :; do :; done']);
    const rt = runtime(process.execPath, [CELLA], roots.root);
    const runc = runtime('runc', [], roots.runcRoot);
    let theirs: Json;
    let theirZero: Result;
    let theirStopped: Result;
    assert.equal(runc(['create', '--bundle', bundle, 'ev1']).code, 0);
    try {
      assert.equal(runc(['start', 'ev1']).code, 0);
      const r = runc(['events', '--stats', 'ev1']);
      assert.equal(r.code, 0, r.stderr);
      theirs = JSON.parse(r.stdout) as Json;
      theirZero = runc(['events', '--interval', '0s', 'ev1']);
      assert.equal(runc(['kill', 'ev1', 'KILL']).code, 0);
      await waitStopped(runc, 'ev1');
      theirStopped = runc(['events', '--stats', 'ev1']);
    } finally {
      runc(['delete', '--force', 'ev1']);
    }
    assert.equal(rt(['create', '--bundle', bundle, 'ev1']).code, 0);
    try {
      assert.equal(rt(['start', 'ev1']).code, 0);
      const r = rt(['events', '--stats', 'ev1']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n').length, 2, 'one line');
      const ours = JSON.parse(r.stdout) as Json;
      assert.deepEqual({ type: ours.type, id: ours.id }, { type: 'stats', id: 'ev1' });
      assert.ok((at(ours, 'data', 'cpu', 'usage').total as number) > 0, r.stdout);
      assert.ok((at(ours, 'data', 'memory', 'usage').usage as number) > 0, r.stdout);
      assert.ok((at(ours, 'data', 'pids').current as number) >= 1, r.stdout);
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      assert.deepEqual(Object.keys(at(ours, 'data')), Object.keys(at(theirs, 'data')));
      for (const path of [['cpu'], ['cpu', 'usage'], ['cpuset'], ['memory'], ['memory', 'usage'], ['memory', 'swap'], ['pids']]) {
        const mine = Object.keys(at(ours, 'data', ...path));
        const their = Object.keys(at(theirs, 'data', ...path));
        assert.ok(inOrder(mine.filter((k) => their.includes(k)), their), `data.${path.join('.')}: ${mine.join(',')} vs ${their.join(',')}`);
        // runc leaves zero `omitempty` counters out: only memory.cache may be zero on its side (a fresh container's page cache).
        assert.deepEqual(mine.filter((k) => !their.includes(k) && k !== 'cache'), [], `data.${path.join('.')}`);
      }

      const lines = await stream(roots.root, ['--interval', '1s', 'ev1'], (l) => l.length >= 2, 60_000);
      assert.ok(lines.length >= 2, `two lines with --interval 1s: ${lines.length}`);
      const totals = lines.slice(0, 2).map((l) => at(JSON.parse(l) as Json, 'data', 'cpu', 'usage').total as number);
      assert.ok(totals[1]! > totals[0]!, `cpu time grows: ${totals.join(' → ')}`);

      // pause freezes the VM: the counters taken just before stand for the frozen container (runc reads a frozen cgroup).
      assert.equal(rt(['pause', 'ev1']).code, 0);
      const frozen = [rt(['events', '--stats', 'ev1']), rt(['events', '--stats', 'ev1'])];
      assert.deepEqual(frozen.map((f) => f.code), [0, 0], frozen[0]!.stderr);
      assert.equal(frozen[0]!.stdout, frozen[1]!.stdout, 'nothing moves while paused');
      assert.equal(rt(['resume', 'ev1']).code, 0);
      const after = JSON.parse(rt(['events', '--stats', 'ev1']).stdout) as Json;
      assert.ok((at(after, 'data', 'cpu', 'usage').total as number) > (at(JSON.parse(frozen[0]!.stdout) as Json, 'data', 'cpu', 'usage').total as number));

      const zero = rt(['events', '--interval', '0s', 'ev1']);
      assert.deepEqual([zero.code, theirZero.code], [1, 1]);
      assert.match(theirZero.stderr, /duration interval must be greater than 0/);
      assert.match(zero.stderr, /duration interval must be greater than 0/);
      assert.equal(rt(['kill', 'ev1', 'KILL']).code, 0);
      await waitStopped(rt, 'ev1');
      const stopped = rt(['events', '--stats', 'ev1']);
      assert.deepEqual([stopped.code, theirStopped.code], [1, 1]);
      assert.match(theirStopped.stderr, /container with id ev1 is not running/);
      assert.match(stopped.stderr, /container with id ev1 is not running/);
    } finally {
      rt(['delete', '--force', 'ev1']);
    }
    for (const args of [['events', 'missing'], ['events', '--stats', 'missing'], ['events', '--interval', '0s', 'missing']]) {
      const [mine, theirs2] = [rt(args), runc(args)];
      assert.deepEqual([mine.code, theirs2.code], [1, 1], args.join(' '));
      assert.match(theirs2.stderr, /container does not exist/);
      assert.match(mine.stderr, /container does not exist/);
    }
  });

  it('reports an OOM kill in the guest as runc\'s oom event', async () => {
    // `tail /dev/zero` holds an ever-growing "last line" until the 16 MiB limit kills it; the shell starts another.
    const bundle = await makeBundle(['sh', '-c', 'while :; do tail /dev/zero; done'], (spec) => {
      ((spec.linux as Json).resources as Json).memory = { limit: 16 * 1024 * 1024 };
    });
    const rt = runtime(process.execPath, [CELLA], roots.root);
    assert.equal(rt(['create', '--bundle', bundle, 'oom1']).code, 0);
    try {
      assert.equal(rt(['start', 'oom1']).code, 0);
      const lines = await stream(roots.root, ['--interval', '1s', 'oom1'], (l) => l.some((x) => x.includes('"type":"oom"')) && l.some((x) => x.includes('"type":"stats"')), 120_000);
      assert.ok(lines.includes('{"type":"oom","id":"oom1"}'), lines.map((l) => l.slice(0, 60)).join('\n'));
      const stats = JSON.parse(lines.find((l) => l.includes('"type":"stats"'))!) as Json;
      assert.equal(at(stats, 'data', 'memory', 'usage').limit, 16 * 1024 * 1024, 'the limit crun set in the guest');
    } finally {
      rt(['delete', '--force', 'oom1']);
    }
  });
});
