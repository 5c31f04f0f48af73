// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELLA, listTree, makeBundle, processesMentioning, tempDir } from '../helpers/cella';
import { differentialRoots, type Result, type Runtime, runtime } from '../helpers/oci-runtime';

async function waitStatus(rt: Runtime, id: string, want: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const r = rt(['state', id]);
    if (r.code === 0) {
      const st = JSON.parse(r.stdout) as Record<string, unknown>;
      if (st.status === want) return st;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${id} never became ${want}`);
}

/** `run -d` as an engine calls it: the container keeps the caller's stdio (a file here, as a shim's fifo would be). */
function runDetached(cmd: string, prefix: string[], root: string, args: string[], out: string): number | null {
  const fd = openSync(out, 'w');
  try {
    return spawnSync(cmd, [...prefix, '--root', root, 'run', '-d', ...args], { stdio: ['ignore', fd, fd], timeout: 120_000 }).status;
  } finally {
    closeSync(fd);
  }
}

interface DetachedTrace { code: number | null; status: unknown; pidFile: string; pidIsState: boolean; pidAlive: boolean; output: boolean; codes: Record<string, number | null>; stopped: unknown }

/** `run -d`, then what a user checks: state, the pid file, the output, kill, delete. */
async function driveDetached(cmd: string, prefix: string[], root: string, bundle: string, id: string, files: string): Promise<DetachedTrace> {
  const rt = runtime(cmd, prefix, root);
  const pidFile = `${files}.pid`;
  const out = `${files}.out`;
  const code = runDetached(cmd, prefix, root, ['--pid-file', pidFile, '--bundle', bundle, id], out);
  const st = JSON.parse(rt(['state', id]).stdout) as Record<string, unknown>;
  const pidText = readFileSync(pidFile, 'utf8');
  let pidAlive = true;
  try { process.kill(Number(pidText), 0); } catch { pidAlive = false; }
  for (let i = 0; i < 300 && !readFileSync(out, 'utf8').includes('detached-out'); i++) await new Promise((r) => setTimeout(r, 100));
  const t: DetachedTrace = {
    code, status: st.status, pidFile: /^\d+$/.test(pidText) ? 'digits' : pidText, pidIsState: Number(pidText) === st.pid, pidAlive,
    output: readFileSync(out, 'utf8').includes('detached-out'), codes: {}, stopped: undefined,
  };
  t.codes.kill = rt(['kill', id, 'KILL']).code;
  t.stopped = (await waitStatus(rt, id, 'stopped')).status;
  t.codes.delete = rt(['delete', id]).code;
  t.codes.stateAfter = rt(['state', id]).code;
  rmSync(pidFile, { force: true });
  rmSync(out, { force: true });
  return t;
}

interface Trace { keys: string[][]; statuses: string[]; codes: Record<string, number | null>; errors: Record<string, string>; pidFile: string; ociVersion: unknown; listed: unknown[]; quiet: string; header: string }

/** The same lifecycle driven through a runtime; returns what a user sees. */
async function drive(rt: Runtime, bundle: string, id: string, pidFile: string): Promise<Trace> {
  const t: Trace = { keys: [], statuses: [], codes: {}, errors: {}, pidFile: '', ociVersion: undefined, listed: [], quiet: '', header: '' };
  const step = (name: string, args: string[]): Result => {
    const r = rt(args);
    t.codes[name] = r.code;
    if (r.code !== 0) t.errors[name] = r.stderr;
    return r;
  };
  step('create', ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  t.pidFile = readFileSync(pidFile, 'utf8');
  const created = JSON.parse(step('state-created', ['state', id]).stdout) as Record<string, unknown>;
  t.keys.push(Object.keys(created));
  t.statuses.push(String(created.status));
  t.ociVersion = created.ociVersion;
  step('start', ['start', id]);
  const running = await waitStatus(rt, id, 'running');
  t.statuses.push(String(running.status));
  // What `list` shows a user: the fields that do not depend on the runtime's pid or clock.
  const listed = JSON.parse(step('list', ['list', '--format', 'json']).stdout) as Array<Record<string, unknown>>;
  t.listed = listed.map((e) => ({ keys: Object.keys(e), id: e.id, status: e.status, bundle: e.bundle, owner: e.owner, pidIsRunning: running.pid === e.pid }));
  t.quiet = step('list-quiet', ['list', '-q']).stdout;
  t.header = step('list-table', ['list']).stdout.split('\n')[0]!.split(/\s+/).join(' ');
  step('start-again', ['start', id]);
  step('delete-running', ['delete', id]);
  step('kill', ['kill', id, 'KILL']);
  const stopped = await waitStatus(rt, id, 'stopped');
  t.statuses.push(String(stopped.status));
  t.keys.push(Object.keys(stopped));
  assert.equal(stopped.pid, 0);
  step('kill-stopped', ['kill', id, 'TERM']);
  step('kill-stopped-all', ['kill', '--all', id, 'TERM']);
  step('delete', ['delete', id]);
  step('state-deleted', ['state', id]);
  step('delete-force-missing', ['delete', '--force', id]);
  return t;
}

/** Differential: the same bundles under runc and under cella (real VMs), compared as a user sees them. */
describe('OCI lifecycle, differential against runc (real VM)', function () {
  this.timeout(300_000);
  const roots = differentialRoots();

  it('create, start, state, kill, delete and their refusals match runc', async () => {
    const bundle = await makeBundle(['sh', '-c', 'sleep 60']);
    const runc = await drive(runtime('runc', [], roots.runcRoot), bundle, 'diff1', join(roots.runcRoot, 'pid'));
    const cella = await drive(runtime(process.execPath, [CELLA], roots.root), bundle, 'diff1', join(roots.root, '..', `${roots.root.split('/').pop()}.pid`));
    await fs.rm(join(roots.root, '..', `${roots.root.split('/').pop()}.pid`), { force: true });
    assert.deepEqual(cella.keys, runc.keys, 'state JSON keys');
    assert.deepEqual(cella.statuses, runc.statuses, 'status transitions');
    assert.deepEqual(cella.codes, runc.codes, 'exit codes');
    assert.equal(cella.ociVersion, runc.ociVersion);
    assert.deepEqual(cella.listed, runc.listed, 'list --format json');
    assert.equal(cella.quiet, runc.quiet, 'list -q');
    assert.equal(cella.header, runc.header, 'list table header');
    assert.match(cella.pidFile, /^\d+$/, 'pid file: a number without a trailing newline');
    for (const [step, text] of [
      ['start-again', 'cannot start an already running container'],
      ['delete-running', 'cannot delete container diff1 that is not stopped: running'],
      ['kill-stopped', 'container not running'],
      ['state-deleted', 'container does not exist'],
    ]) {
      assert.ok(runc.errors[step!]?.includes(text!), `runc ${step}: ${runc.errors[step!]}`);
      assert.ok(cella.errors[step!]?.includes(text!), `cella ${step}: ${cella.errors[step!]}`);
    }
    assert.equal(existsSync(join(roots.root, 'diff1')), false);
  });

  it('run -d returns with the container running, its pid file written and its output on our stdio; kill and delete as runc', async () => {
    const bundle = await makeBundle(['sh', '-c', 'echo detached-out; sleep 120']);
    const files = tempDir('rund');
    let runc: DetachedTrace;
    let cella: DetachedTrace;
    try {
      runc = await driveDetached('runc', [], roots.runcRoot, bundle, 'rund1', join(files, 'runc'));
      cella = await driveDetached(process.execPath, [CELLA], roots.root, bundle, 'rund1', join(files, 'cella'));
    } finally {
      // A failure half-way must not leave either container running.
      runtime('runc', [], roots.runcRoot)(['delete', '--force', 'rund1']);
      runtime(process.execPath, [CELLA], roots.root)(['delete', '--force', 'rund1']);
    }
    assert.deepEqual(runc, {
      code: 0, status: 'running', pidFile: 'digits', pidIsState: true, pidAlive: true, output: true,
      codes: { kill: 0, delete: 0, stateAfter: 1 }, stopped: 'stopped',
    }, 'runc itself');
    assert.deepEqual(cella, runc);
  });

  it('run passes the exit status through as runc does (0, 7, killed by TERM)', async () => {
    // The TERM case runs without a pid namespace: a namespace's init ignores signals it has no handler for.
    const noPidNs = (spec: Record<string, unknown>): void => {
      const linux = spec.linux as { namespaces: Array<{ type: string }> };
      linux.namespaces = linux.namespaces.filter((n) => n.type !== 'pid');
    };
    for (const [name, script, want] of [['0', 'echo out; exit 0', 0], ['7', 'echo out; exit 7', 7], ['term', 'echo out; kill -TERM $$', 143]] as const) {
      const bundle = await makeBundle(['sh', '-c', script], name === 'term' ? noPidNs : undefined);
      const runc = runtime('runc', [], roots.runcRoot)(['run', '--bundle', bundle, `run${name}`]);
      const cella = runtime(process.execPath, [CELLA], roots.root)(['run', '--bundle', bundle, `run${name}`]);
      assert.equal(runc.code, want, runc.stderr);
      assert.equal(cella.code, runc.code, cella.stderr);
      assert.equal(cella.stdout, runc.stdout);
    }
  });

  it('exec (status, stdin, detached with a pid file, refusals), pause/resume, ps and update', async () => {
    const rt = runtime(process.execPath, [CELLA], roots.root);
    const bundle = await makeBundle(['sh', '-c', 'sleep 120']);
    assert.equal(rt(['create', '--bundle', bundle, 'ex1']).code, 0);
    assert.equal(rt(['start', 'ex1']).code, 0);
    try {
      const fg = rt(['exec', 'ex1', 'sh', '-c', 'echo exec-out; echo exec-err >&2; exit 5']);
      assert.equal(fg.code, 5, fg.stderr);
      assert.equal(fg.stdout, 'exec-out\n');
      assert.match(fg.stderr, /^exec-err$/m);
      const cat = spawnSync(process.execPath, [CELLA, '--root', roots.root, 'exec', 'ex1', 'cat'], { input: 'through stdin\n', encoding: 'utf8' });
      assert.equal(cat.status, 0, cat.stderr);
      assert.equal(cat.stdout, 'through stdin\n');
      const pidFile = `${roots.root}.exec.pid`;
      const out = `${roots.root}.exec.out`;
      const fd = openSync(out, 'w');
      const det = spawnSync(process.execPath, [CELLA, '--root', roots.root, 'exec', '-d', '--pid-file', pidFile, 'ex1', 'sh', '-c', 'echo detached'], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      assert.equal(det.status, 0);
      assert.match(readFileSync(pidFile, 'utf8'), /^\d+$/);
      for (let i = 0; i < 100 && !readFileSync(out, 'utf8').includes('detached'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(readFileSync(out, 'utf8'), /detached/);
      rmSync(pidFile, { force: true });
      rmSync(out, { force: true });
      // A malformed or missing --process file: named, nothing made; 255 as runc 1.1.5 ("exec failed: invalid character …").
      const procFile = join(tempDir('proc'), 'process.json');
      writeFileSync(procFile, '{ "args": [');
      const before = { files: listTree(roots.root), processes: processesMentioning(roots.root) };
      for (const file of [procFile, `${procFile}.missing`]) {
        const r = rt(['exec', '--process', file, 'ex1']);
        assert.equal(r.code, 255, r.stderr);
        assert.ok(r.stderr.includes(file), `names ${file}: ${r.stderr}`);
      }
      assert.deepEqual(listTree(roots.root), before.files, 'no file made');
      // (The detached exec above may still be ending: a process may go, none may come.)
      assert.deepEqual(processesMentioning(roots.root).filter((p) => !before.processes.includes(p)), [], 'no process made');
      const bad = rt(['exec', 'ex1', 'no-such-command']);
      assert.equal(bad.code, 255);
      assert.equal(rt(['exec', 'missing', 'true']).code, 255);
      // pause freezes the VM: state says so, exec is refused as runc refuses it, resume brings it back.
      assert.equal(rt(['pause', 'ex1']).code, 0);
      assert.equal(JSON.parse(rt(['state', 'ex1']).stdout).status, 'paused');
      const frozen = rt(['exec', 'ex1', 'true']);
      assert.equal(frozen.code, 255);
      assert.match(frozen.stderr, /cannot exec in a paused container/);
      assert.equal(rt(['resume', 'ex1']).code, 0);
      assert.equal(JSON.parse(rt(['state', 'ex1']).stdout).status, 'running');
      assert.equal(rt(['exec', 'ex1', 'true']).code, 0);
      const ps = rt(['ps', '--format', 'json', 'ex1']);
      assert.deepEqual(JSON.parse(ps.stdout), [JSON.parse(rt(['state', 'ex1']).stdout).pid]);
      const update = rt(['update', 'ex1']);
      assert.equal(update.code, 1);
      assert.match(update.stderr, /update is not supported yet/);
    } finally {
      rt(['delete', '--force', 'ex1']);
    }
    const stopped = rt(['exec', 'ex1', 'true']);
    assert.equal(stopped.code, 255);
    assert.match(stopped.stderr, /container does not exist/);
  });
});
