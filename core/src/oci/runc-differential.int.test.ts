// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertTransition, OCI_FAILURE, type OciOperation, type OciStatus } from './container-state';
import { hasRunc, runc, runcSpecText, type RuncResult } from './runc-fixture';
import { parseSignal } from './signals';
import { formatList, ociStateJson, parseRfc3339Nano, rfc3339Nano, type OciContainerRecord, type OciListEntry } from './state-json';

const BUSYBOX = '/bin/busybox';
/** Annotations that exercise Go's escaping and map-key order. */
const ANNOTATIONS = { z: '1', 'a<&>': 'x\u2028\b\f\x01\u00e9', 10: 'ten', 9: 'nine' };

/** Differential: the same operations on real runc containers (busybox `sleep`), compared with Cella's pieces. */
describe('OCI state machine and formats against real runc (differential)', function () {
  this.timeout(180_000);
  let work: string;
  let root: string;
  let bundle: string;
  let seq = 0;

  before(function () {
    if (process.geteuid?.() !== 0 || !hasRunc() || !existsSync(BUSYBOX)) this.skip();
    work = mkdtempSync(join(tmpdir(), 'cella-runc-diff-'));
    root = join(work, 'root');
    bundle = join(work, 'bundle');
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(bundle, 'rootfs', 'bin', 'busybox'));
    for (const applet of ['sh', 'sleep', 'true']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', applet));
    const spec = JSON.parse(runcSpecText());
    spec.process.terminal = false;
    spec.process.args = ['sleep', '1000'];
    spec.annotations = ANNOTATIONS;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  });

  const deleteAll = (): void => {
    if (!root) return;
    for (const id of runc(['--root', root, 'list', '-q']).stdout.split('\n').filter(Boolean)) runc(['--root', root, 'delete', '--force', id]);
  };
  afterEach(deleteAll);
  after(() => {
    deleteAll();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const r = (...args: string[]): RuncResult => runc(['--root', root, ...args]);
  const statusOf = (id: string): string | undefined => {
    const s = r('state', id);
    return s.code === 0 ? (JSON.parse(s.stdout) as { status: string }).status : undefined;
  };

  async function waitFor(id: string, status: string): Promise<void> {
    for (let i = 0; i < 100 && statusOf(id) !== status; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(statusOf(id), status, `${id} never became ${status}`);
  }

  /** A fresh runc container in `status`. */
  async function inState(status: OciStatus): Promise<string> {
    const id = `t${++seq}`;
    const steps: Record<string, string[][]> = {
      created: [], running: [['start', id]], paused: [['start', id], ['pause', id]], stopped: [['start', id], ['kill', id, 'KILL']],
    };
    assert.equal(r('create', '--bundle', bundle, id).code, 0);
    for (const step of steps[status]!) assert.equal(r(...step).code, 0, step.join(' '));
    await waitFor(id, status);
    return id;
  }

  function command(op: OciOperation, id: string): string[] {
    const map: Record<OciOperation, string[]> = {
      create: ['create', '--bundle', bundle, id], start: ['start', id], kill: ['kill', id, 'KILL'], killAll: ['kill', '--all', id, 'KILL'],
      pause: ['pause', id], resume: ['resume', id], delete: ['delete', id], deleteForce: ['delete', '--force', id], exec: ['exec', id, 'true'],
    };
    return map[op];
  }

  /** Cella's verdict: undefined (allowed) or the text and exit status runc should show. */
  function ours(status: OciStatus | undefined, op: OciOperation, id: string): { text: string; exit: number } | undefined {
    try {
      assertTransition(status, op, id);
      return undefined;
    } catch (e) {
      const err = e as Error & { details: { exitStatus: number } };
      return { text: (OCI_FAILURE[op]?.prefix ?? '') + err.message, exit: err.details.exitStatus };
    }
  }

  // `create` last: on a free id it makes the container.
  const OPS: OciOperation[] = ['start', 'kill', 'killAll', 'pause', 'resume', 'delete', 'deleteForce', 'exec', 'create'];

  for (const status of ['created', 'running', 'paused', 'stopped'] as const) {
    it(`allows and refuses the same operations as runc on a ${status} container, with runc's texts and exit codes`, async () => {
      const probe = await inState(status);
      for (const op of OPS) {
        const expected = ours(status, op, probe);
        if (expected) {
          const got = r(...command(op, probe));
          assert.deepEqual({ exit: got.code, text: got.error }, expected, `${op} on ${status}`);
          assert.equal(statusOf(probe), status, `${op} on ${status} changed the container`);
        } else {
          const id = await inState(status);
          const got = r(...command(op, id));
          assert.equal(got.code, 0, `${op} on ${status}: runc refused: ${got.error}`);
        }
      }
    });
  }

  it('treats an unknown id as runc does: "container does not exist", except delete --force and create', () => {
    for (const op of OPS) {
      const expected = ours(undefined, op, 'nope');
      const got = r(...command(op, 'nope'));
      if (expected) assert.deepEqual({ exit: got.code, text: got.error }, expected, op);
      else assert.equal(got.code, 0, `${op}: ${got.error}`);
    }
  });

  it('prints `state` and `list` (table, json, -q) byte for byte as runc', async () => {
    const empty = [r('list'), r('list', '--format', 'json'), r('list', '-q')].map((x) => x.stdout);
    assert.deepEqual(empty, [formatList([], 'table'), formatList([], 'json'), formatList([], 'table', true)]);
    const ids = [await inState('stopped'), await inState('running'), await inState('created')];
    for (const id of ids) {
      const text = r('state', id).stdout;
      const rec = JSON.parse(text) as OciContainerRecord;
      assert.equal(rfc3339Nano(parseRfc3339Nano(rec.created)), rec.created);
      // The pid a stopped container had must not show.
      assert.equal(ociStateJson({ ...rec, pid: rec.status === 'stopped' ? 12345 : rec.pid }), text, id);
    }
    const listed = JSON.parse(r('list', '--format', 'json').stdout) as OciListEntry[];
    assert.equal(listed.length, ids.length);
    const shuffled = [...listed].reverse();
    assert.equal(formatList(shuffled, 'json'), r('list', '--format', 'json').stdout);
    assert.equal(formatList(shuffled, 'table'), r('list').stdout);
    assert.equal(formatList(shuffled, 'table', true), r('list', '-q').stdout);
  });

  it('accepts and refuses the same kill signals as runc, with runc\'s text', async () => {
    const id = await inState('stopped');
    const names = Object.keys(constants.signals);
    const raws = [...names, ...names.map((n) => n.slice(3).toLowerCase()), '', '9', '+9', '09', '-1', '0x9', '9.0', ' 9', 'FOO', '\u017figkill', 'SIGRTMIN+1', 'sig"q'];
    for (const raw of raws) {
      let expected: string;
      try {
        parseSignal(raw);
        expected = 'container not running'; // parsed, then refused for the stopped container
      } catch (e) {
        expected = (e as Error).message;
      }
      assert.equal(r('kill', id, raw).error, expected, JSON.stringify(raw));
    }
  });
});
