// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNothingLeft, CELLA, listTree, makeBundle, processesMentioning, tempDir } from '../helpers/cella';
import { ConsoleSocketListener } from '@cella/core/tty';
import { beSubreaper, readMaster, waitAdopted } from '../helpers/console-socket';
import { containerdWithImage, SHIM_ROOT, TEST_IMAGE } from '../helpers/containerd';
import { runtime, type Runtime } from '../helpers/oci-runtime';

const TYPE = 'io.kubernetes.cri.container-type';
const SANDBOX_ID = 'io.kubernetes.cri.sandbox-id';

/** A bundle whose CRI annotations say what it is in its pod; `patch` changes the spec further. */
function podBundle(args: string[], annotations: Record<string, string>, patch?: (spec: Record<string, unknown>) => void): Promise<string> {
  return makeBundle(args, (s) => {
    s.annotations = { ...(s.annotations as Record<string, string> | undefined), ...annotations };
    patch?.(s);
  });
}

/** No pid namespace: the process is not a namespace's init, so TERM kills it (an init ignores it without a handler). */
function noPidNs(spec: Record<string, unknown>): void {
  const linux = spec.linux as { namespaces: Array<{ type: string }> };
  linux.namespaces = linux.namespaces.filter((n) => n.type !== 'pid');
}

/**
 * `cella create` as a shim calls it, without blocking the event loop (an adopted holder is waited for in the
 * thread pool meanwhile): the process that stands for the container keeps the files `out` and `out.err` as its
 * stdout and stderr, as a shim's fifos. Resolves with what create wrote on stderr.
 */
async function create(root: string, args: string[], out: string): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync(out, 'a');
  const errFile = `${out}.err`;
  const efd = openSync(errFile, 'w');
  try {
    const child = spawn(process.execPath, [CELLA, '--root', root, 'create', ...args], { stdio: ['ignore', fd, efd] });
    // Not 'close': the holder keeps create's stdio open.
    const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('exit', resolve); });
    return { code, stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(fd);
    closeSync(efd);
  }
}

function stateOf(rt: Runtime, id: string): { status: string; pid: number } | undefined {
  const r = rt(['state', id]);
  return r.code === 0 ? JSON.parse(r.stdout) as { status: string; pid: number } : undefined;
}

async function waitStatus(rt: Runtime, id: string, want: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (stateOf(rt, id)?.status === want) return;
    await sleep(100);
  }
  throw new Error(`${id} never became ${want}: ${JSON.stringify(stateOf(rt, id))}`);
}

function qemus(root: string): string[] {
  return processesMentioning(root).filter((p) => /qemu-system/.test(p));
}

/** The exit of an adopted process (we are a subreaper, as a shim is), or a failure after `ms`. */
async function exitOf(pid: number, ms = 60_000): Promise<{ code?: number; signal?: number }> {
  return Promise.race([waitAdopted(pid), sleep(ms).then(() => { throw new Error(`process ${pid} did not exit within ${ms} ms`); })]);
}

/**
 * A Kubernetes pod through the runc-compatible CLI, as containerd's runc shim drives it: the pod sandbox ("pause")
 * container boots the VM; every container whose CRI annotations name it joins that VM (docs/adr/0009).
 */
describe('pod containers share their sandbox\'s VM (real CLI, real VM)', function () {
  this.timeout(400_000);
  let dir: string;
  let root: string;
  let rt: Runtime;
  /** Processes adopted from the CLI (holders; a QEMU whose holder was killed): reaped after each test. */
  let adopted: number[];

  before(() => beSubreaper(true));
  after(() => beSubreaper(false));
  beforeEach(() => {
    dir = tempDir('pod');
    root = join(dir, 'root');
    rt = runtime(process.execPath, [CELLA], root);
    adopted = [];
  });
  afterEach(async () => {
    const ids = existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith('.')) : [];
    for (const id of ids) rt(['delete', '--force', id]);
    // Each has exited by now (or been killed by the deletes above): wait4 only reaps it.
    for (const pid of adopted) await exitOf(pid, 10_000).catch(() => undefined);
    assertNothingLeft(root);
  });

  const pidOf = (file: string): number => {
    const pid = Number(readFileSync(file, 'utf8'));
    adopted.push(pid);
    return pid;
  };

  /** The pod sandbox container `id`, created and started (the VM boots). */
  async function sandbox(id: string, args = ['sleep', '300'], patch?: (spec: Record<string, unknown>) => void): Promise<number> {
    const bundle = await podBundle(args, { [TYPE]: 'sandbox', [SANDBOX_ID]: id }, patch);
    const pidFile = join(dir, `${id}.pid`);
    const c = await create(root, ['--bundle', bundle, '--pid-file', pidFile, id], join(dir, `${id}.out`));
    assert.equal(c.code, 0, c.stderr);
    const pid = pidOf(pidFile);
    assert.equal(rt(['start', id]).code, 0);
    return pid;
  }

  /** A pod member `id` of sandbox `sb`, created; its holder's pid and the file its stdio goes to. */
  async function member(id: string, sb: string, args: string[], patch?: (spec: Record<string, unknown>) => void, keys = [TYPE, SANDBOX_ID]): Promise<{ pid: number; out: string }> {
    const bundle = await podBundle(args, { [keys[0]!]: 'container', [keys[1]!]: sb }, patch);
    const pidFile = join(dir, `${id}.pid`);
    const out = join(dir, `${id}.out`);
    const c = await create(root, ['--bundle', bundle, '--pid-file', pidFile, id], out);
    assert.equal(c.code, 0, c.stderr);
    return { pid: pidOf(pidFile), out };
  }

  it('a member runs in the sandbox\'s one VM: its kernel, exec, its status, TERM, delete; bad annotations are refused; the sandbox\'s end ends its members', async () => {
    const sbHolder = await sandbox('pod-sb');
    const guestKernel = rt(['exec', 'pod-sb', 'uname', '-r']);
    assert.equal(guestKernel.code, 0, guestKernel.stderr);
    assert.notEqual(guestKernel.stdout.trim(), release(), 'the sandbox runs in the guest kernel');
    assert.equal(qemus(root).length, 1);

    // Bad annotations: refused naming the annotation and the id, exit 1, nothing made.
    const refused = async (id: string, annotations: Record<string, string>, text: RegExp): Promise<void> => {
      const bundle = await podBundle(['true'], annotations);
      const before = { files: listTree(root), processes: processesMentioning(root) };
      const c = await create(root, ['--bundle', bundle, id], join(dir, 'refused.out'));
      assert.equal(c.code, 1, c.stderr);
      assert.match(c.stderr, text);
      assert.deepEqual(listTree(root), before.files, `${id}: no file made`);
      assert.deepEqual(processesMentioning(root), before.processes, `${id}: no process made`);
    };
    await refused('bad1', { [TYPE]: 'container', [SANDBOX_ID]: 'no-such-pod' }, /annotation io\.kubernetes\.cri\.sandbox-id names pod sandbox no-such-pod, but there is no container with that id/);
    await refused('bad2', { [TYPE]: 'container' }, /io\.kubernetes\.cri\.sandbox-id is missing/);
    await refused('bad3', { 'io.kubernetes.cri-o.ContainerType': 'container', 'io.kubernetes.cri-o.SandboxID': 'no-such-pod' }, /annotation io\.kubernetes\.cri-o\.SandboxID names pod sandbox no-such-pod/);

    // A member: created in the sandbox's VM (no second QEMU), then started.
    const m1 = await member('pod-m1', 'pod-sb', ['sh', '-c', 'uname -r; echo m1-err >&2; while [ ! -e /dev/shm/go ]; do sleep 0.1; done; exit 3']);
    const m1Exit = exitOf(m1.pid, 120_000);
    assert.equal(qemus(root).length, 1, `one VM for the pod: ${qemus(root).join('\n')}`);
    const created = stateOf(rt, 'pod-m1');
    assert.equal(created?.status, 'created');
    assert.equal(created?.pid, m1.pid, 'state shows the pid-file process');
    // Its id is taken now; a container that is itself a member is no pod sandbox.
    const again = await create(root, ['--bundle', await podBundle(['true'], { [TYPE]: 'container', [SANDBOX_ID]: 'pod-sb' }), 'pod-m1'], join(dir, 'again.out'));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /container with given ID already exists/);
    await refused('bad4', { [TYPE]: 'container', [SANDBOX_ID]: 'pod-m1' }, /annotation io\.kubernetes\.cri\.sandbox-id names pod-m1, which is not a pod sandbox: it is a container of pod sandbox pod-sb/);

    assert.equal(rt(['start', 'pod-m1']).code, 0);
    await waitStatus(rt, 'pod-m1', 'running');
    // Its own cgroup's counters, read in the guest; its own host process; the VM is the pod's, not its own to freeze.
    const stats = rt(['events', '--stats', 'pod-m1']);
    assert.equal(stats.code, 0, stats.stderr);
    const event = JSON.parse(stats.stdout) as { type: string; id: string; data: { pids: { current: number } } };
    assert.equal(event.type, 'stats');
    assert.equal(event.id, 'pod-m1');
    assert.ok(event.data.pids.current >= 1, stats.stdout);
    assert.deepEqual(JSON.parse(rt(['ps', '--format', 'json', 'pod-m1']).stdout), [m1.pid]);
    const pause = rt(['pause', 'pod-m1']);
    assert.equal(pause.code, 1);
    assert.match(pause.stderr, /runs in the VM of pod sandbox pod-sb: pause or resume the pod sandbox instead/);
    // exec goes into the member (its pid namespace's init is its own process, not the sandbox's sleep).
    const inM1 = rt(['exec', 'pod-m1', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; exit 4']);
    assert.equal(inM1.code, 4, inM1.stderr);
    assert.match(inM1.stdout, /while \[ ! -e \/dev\/shm\/go \]/);
    assert.equal(rt(['exec', 'pod-m1', 'touch', '/dev/shm/go']).code, 0);
    assert.deepEqual(await m1Exit, { code: 3 }, 'the member\'s status is its holder\'s');
    await waitStatus(rt, 'pod-m1', 'stopped');
    assert.equal(stateOf(rt, 'pod-m1')?.pid, 0);
    const m1Out = readFileSync(m1.out, 'utf8');
    assert.match(readFileSync(`${m1.out}.err`, 'utf8'), /^m1-err$/m);
    assert.equal(m1Out.split('\n')[0], guestKernel.stdout.trim(), 'the member runs in the guest kernel');
    assert.equal(rt(['delete', 'pod-m1']).code, 0);
    assert.equal(stateOf(rt, 'pod-m1'), undefined);
    assert.ok(!readdirSync(join(root, 'pod-sb', 'run')).some((f) => f.includes('pod-m1')), 'the member\'s rootfs image is gone');
    assert.equal(stateOf(rt, 'pod-sb')?.status, 'running', 'the sandbox runs on');

    // A second member (CRI-O's annotations): TERM kills it, 128+15 comes out of its holder.
    const m2 = await member('pod-m2', 'pod-sb', ['sleep', '300'], noPidNs, ['io.kubernetes.cri-o.ContainerType', 'io.kubernetes.cri-o.SandboxID']);
    const m2Exit = exitOf(m2.pid);
    assert.equal(rt(['start', 'pod-m2']).code, 0);
    assert.equal(rt(['kill', 'pod-m2', 'TERM']).code, 0);
    assert.deepEqual(await m2Exit, { code: 143 });
    await waitStatus(rt, 'pod-m2', 'stopped');
    assert.equal(rt(['delete', 'pod-m2']).code, 0);

    // A member with a terminal: the pty master goes to the console socket, as for any container.
    const sock = join(dir, 'console.sock');
    const listener = await ConsoleSocketListener.listen(sock);
    try {
      const receiving = listener.receive(60_000);
      const tty = await podBundle(['sh'], { [TYPE]: 'container', [SANDBOX_ID]: 'pod-sb' }, (s) => { (s.process as Record<string, unknown>).terminal = true; });
      const ttyPid = join(dir, 'pod-tty.pid');
      const c = await create(root, ['--bundle', tty, '--console-socket', sock, '--pid-file', ttyPid, 'pod-tty'], join(dir, 'pod-tty.out'));
      assert.equal(c.code, 0, c.stderr);
      const master = readMaster((await receiving).fd);
      const ttyExit = exitOf(pidOf(ttyPid));
      assert.equal(rt(['start', 'pod-tty']).code, 0);
      master.stream.write('uname -r; exit 6\n');
      assert.deepEqual(await ttyExit, { code: 6 }, master.output());
      assert.ok(master.output().includes(`\r\n${guestKernel.stdout.trim()}\r\n`), master.output());
      master.stream.destroy();
      assert.equal(rt(['delete', 'pod-tty']).code, 0);
    } finally {
      listener.close();
    }

    // A created member is deleted as runc deletes one (its init killed); a running one only with --force.
    await member('pod-m3', 'pod-sb', ['sleep', '300']);
    assert.equal(rt(['delete', 'pod-m3']).code, 0);
    const m4 = await member('pod-m4', 'pod-sb', ['sleep', '300']);
    assert.equal(rt(['start', 'pod-m4']).code, 0);
    assert.equal(rt(['delete', 'pod-m4']).code, 1);
    assert.equal(rt(['delete', '--force', 'pod-m4']).code, 0);
    await exitOf(m4.pid);
    assert.equal(stateOf(rt, 'pod-m4'), undefined);
    assert.equal(stateOf(rt, 'pod-sb')?.status, 'running', 'the sandbox runs on');
    assert.equal(rt(['exec', 'pod-sb', 'true']).code, 0);

    // The sandbox's end ends its members: their holders exit as killed, they show stopped.
    const m5 = await member('pod-m5', 'pod-sb', ['sleep', '300']);
    const m5Exit = exitOf(m5.pid);
    assert.equal(rt(['start', 'pod-m5']).code, 0);
    const m6 = await member('pod-m6', 'pod-sb', ['sleep', '300']);
    const m6Exit = exitOf(m6.pid);
    assert.equal(rt(['kill', 'pod-sb', 'KILL']).code, 0);
    assert.deepEqual(await exitOf(sbHolder), { code: 137 });
    assert.deepEqual(await m5Exit, { code: 137 }, 'a running member');
    assert.deepEqual(await m6Exit, { code: 137 }, 'a created member');
    for (const id of ['pod-sb', 'pod-m5', 'pod-m6']) assert.equal(stateOf(rt, id)?.status, 'stopped', id);
    assert.deepEqual(qemus(root), []);
    // A member whose sandbox is gone is refused as a sandbox too.
    await refused('bad5', { [TYPE]: 'container', [SANDBOX_ID]: 'pod-sb' }, /annotation io\.kubernetes\.cri\.sandbox-id names pod sandbox pod-sb, which has stopped/);
    for (const id of ['pod-m5', 'pod-m6', 'pod-sb']) assert.equal(rt(['delete', id]).code, 0, id);
  });

  it('a member joins the sandbox\'s ipc, uts and pid namespaces by the paths CRI gives (/proc/<its pid>/ns/…) in the guest; a host namespace or a mismatched type is refused naming the field', async () => {
    const nsLines = 'for n in ipc uts; do readlink /proc/self/ns/$n; done';
    const sbPid = await sandbox('ns-sb', ['sh', '-c', `${nsLines}; exec sleep 300`], (s) => {
      s.hostname = 'pod-host';
      // A per-IPC-namespace value: whoever shares the namespace reads it.
      (s.linux as Record<string, unknown>).sysctl = { 'kernel.msgmax': '12345' };
    });
    const sbOut = join(dir, 'ns-sb.out');
    for (let i = 0; i < 300 && readFileSync(sbOut, 'utf8').split('\n').length < 3; i++) await sleep(100);
    const sbNs = readFileSync(sbOut, 'utf8').trim().split('\n');
    assert.match(sbNs[0]!, /^ipc:\[\d+\]$/);
    // hello's namespaces: pid (0), network, ipc (2), uts (3), mount. A member joining the pod's UTS namespace sets
    // no hostname of its own (as CRI makes it).
    const paths = (ipc: string, uts: string, pid?: string) => (s: Record<string, unknown>): void => {
      delete s.hostname;
      const ns = (s.linux as { namespaces: Array<{ type: string; path?: string }> }).namespaces;
      ns[2]!.path = ipc;
      ns[3]!.path = uts;
      if (pid !== undefined) ns[0]!.path = pid;
    };
    // Last line: the command of pid 1 in the member's pid namespace.
    const show = ['sh', '-c', `hostname; cat /proc/sys/kernel/msgmax; ${nsLines}; tr "\\0" " " < /proc/1/cmdline`];
    const runMember = async (id: string, patch?: (s: Record<string, unknown>) => void): Promise<string[]> => {
      const m = await member(id, 'ns-sb', show, patch);
      const exit = exitOf(m.pid, 120_000);
      assert.equal(rt(['start', id]).code, 0);
      assert.deepEqual(await exit, { code: 0 }, readFileSync(`${m.out}.err`, 'utf8'));
      assert.equal(rt(['delete', id]).code, 0);
      return readFileSync(m.out, 'utf8').trim().split('\n');
    };
    const joined = await runMember('ns-m1', paths(`/proc/${sbPid}/ns/ipc`, `/proc/${sbPid}/ns/uts`, `/proc/${sbPid}/ns/pid`));
    assert.deepEqual(joined, ['pod-host', '12345', ...sbNs, 'sleep 300'], 'the member sees the sandbox\'s hostname, IPC settings, namespaces and processes');
    const own = await runMember('ns-m2');
    assert.notEqual(own[1], '12345', 'without paths a member has IPC and UTS namespaces of its own');
    assert.notEqual(own[2], sbNs[0]);
    assert.notEqual(own[3], sbNs[1]);
    // (its pid 1 is its own command: the shell execs its last one, tr)
    assert.match(own[4] ?? '', /^tr /, `and a pid namespace of its own: ${JSON.stringify(own)}`);

    // Refused before anything is made, naming the field: the host's own namespace, and a path of the wrong type.
    const refusedNs = async (id: string, patch: (s: Record<string, unknown>) => void, text: RegExp, annotations: Record<string, string>): Promise<void> => {
      const bundle = await podBundle(['true'], annotations, patch);
      const before = { files: listTree(root), processes: processesMentioning(root) };
      const c = await create(root, ['--bundle', bundle, id], join(dir, 'refused.out'));
      assert.equal(c.code, 1, c.stderr);
      assert.match(c.stderr, text);
      assert.match(c.stderr, /E_BUNDLE_INVALID/);
      assert.deepEqual(listTree(root), before.files, `${id}: no file made`);
      assert.deepEqual(processesMentioning(root), before.processes, `${id}: no process made`);
    };
    const inPod = { [TYPE]: 'container', [SANDBOX_ID]: 'ns-sb' };
    await refusedNs('ns-host', paths(`/proc/${process.pid}/ns/ipc`, `/proc/${sbPid}/ns/uts`), /linux\.namespaces\[2\]\.path names a namespace of a host process that is not a container of this pod/, inPod);
    await refusedNs('ns-type', paths(`/proc/${sbPid}/ns/ipc`, `/proc/${sbPid}/ns/ipc`), /linux\.namespaces\[3\]\.path names a "ipc" namespace, but the entry's type is uts/, inPod);
    // A container with a VM of its own can join no namespace but the network's: refused before its VM boots.
    await refusedNs('ns-own-vm', paths(`/proc/${sbPid}/ns/ipc`, ''), /linux\.namespaces\[2\]\.path names a namespace of a host process/, { [TYPE]: 'sandbox', [SANDBOX_ID]: 'ns-own-vm' });
    assert.equal(qemus(root).length, 1, 'no VM but the pod\'s was booted');

    // A member the guest's crun refuses fails its create with crun's reason; nothing of it is left, the pod runs on.
    const before = { files: listTree(root), processes: processesMentioning(root) };
    // An RLIMIT_NOFILE above the guest kernel's fs.nr_open: only the kernel running the container can refuse it.
    const bad = await podBundle(['true'], inPod, (s) => { (s.process as Record<string, unknown>).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2_000_000, hard: 2_000_000 }]; });
    const c = await create(root, ['--bundle', bad, 'ns-bad'], join(dir, 'bad.out'));
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /crun could not create the container: setrlimit `RLIMIT_NOFILE`: Operation not permitted/);
    assert.match(c.stderr, /E_AGENT_CONTAINER_REFUSED/);
    assert.deepEqual(listTree(root), before.files, 'no file of the refused member is left');
    assert.deepEqual(processesMentioning(root), before.processes, 'no process of the refused member is left');
    assert.equal(stateOf(rt, 'ns-sb')?.status, 'running');
  });

  it('after the sandbox\'s holder crashed, delete --force of the sandbox unwinds its members\' storage from its journal', async () => {
    const sbHolder = await sandbox('crash-sb');
    const m1 = await member('crash-m1', 'crash-sb', ['sleep', '300']);
    const m1Exit = exitOf(m1.pid);
    assert.equal(rt(['start', 'crash-m1']).code, 0);
    const image = join(root, 'crash-sb', 'run', 'rootfs-crash-m1.img');
    const journal = JSON.parse(readFileSync(join(root, 'crash-sb', 'journal.json'), 'utf8')) as { entries: Array<{ data?: { path?: string } }> };
    assert.ok(journal.entries.some((e) => e.data?.path === image), `the member's rootfs image is in the sandbox's journal: ${JSON.stringify(journal.entries)}`);
    assert.ok(existsSync(image));
    const vm = (JSON.parse(readFileSync(join(root, 'crash-sb', 'state.json'), 'utf8')) as { vm: { pid: number } }).vm.pid;

    // QEMU dies with the holder that started it (parent-death signal, docs/adr/0012); we are its subreaper and reap it.
    adopted.push(vm);
    process.kill(sbHolder, 'SIGKILL');
    assert.deepEqual(await exitOf(sbHolder), { signal: 9 });
    for (let i = 0; i < 40 && qemus(root).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(qemus(root), [], 'QEMU outlived its holder');
    assert.deepEqual(await m1Exit, { code: 137 }, 'the member ends with its sandbox\'s holder');
    assert.equal(stateOf(rt, 'crash-m1')?.status, 'stopped');
    assert.equal(stateOf(rt, 'crash-sb')?.status, 'stopped');

    const forced = rt(['delete', '--force', 'crash-sb']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(qemus(root), []);
    assert.equal(existsSync(join(root, 'crash-sb')), false);
    assert.equal(rt(['delete', 'crash-m1']).code, 0);
  });
});

/**
 * The same through real containerd: `ctr run --annotation` sets the CRI annotations, and the runc shim groups
 * containers by `io.kubernetes.cri.sandbox-id` into one shim, which runs `cella create` for each.
 */
describe('pod containers through containerd\'s runc shim share one VM (real containerd, real VM)', function () {
  this.timeout(300_000);
  const cd = containerdWithImage('pod-containerd');

  /** QEMU processes of this test's containers (another test may run containers under the same shim root). */
  const podVms = (): string[] => qemus(`${SHIM_ROOT}/ctrpod-`);
  const left = (): string[] => { try { return readdirSync(SHIM_ROOT).filter((n) => n.startsWith('ctrpod-')); } catch { return []; } };

  it('ctr run with the CRI annotations: the member runs in the sandbox\'s VM and its status comes back', () => {
    const sb = 'ctrpod-sb';
    const pod = (type: string): string[] => ['--runc-binary', CELLA, '--annotation', `${TYPE}=${type}`, '--annotation', `${SANDBOX_ID}=${sb}`];
    const run = cd.containerd.ctr(['run', '-d', ...pod('sandbox'), TEST_IMAGE, sb, 'sleep', '300']);
    assert.equal(run.code, 0, run.stderr);
    try {
      const m1 = cd.containerd.ctr(['run', '-d', ...pod('container'), TEST_IMAGE, 'ctrpod-m1', 'sleep', '300']);
      assert.equal(m1.code, 0, m1.stderr);
      assert.equal(podVms().length, 1, `one VM for the pod: ${podVms().join('\n')}`);
      assert.equal(qemus(join(SHIM_ROOT, sb)).length, 1, 'the sandbox\'s');
      const inSb = cd.containerd.ctr(['task', 'exec', '--exec-id', 'k1', sb, 'uname', '-r']);
      const inM1 = cd.containerd.ctr(['task', 'exec', '--exec-id', 'k2', 'ctrpod-m1', 'uname', '-r']);
      assert.equal(inM1.code, 0, inM1.stderr);
      assert.notEqual(inM1.stdout.trim(), release());
      assert.equal(inM1.stdout, inSb.stdout, 'the same guest kernel');
      const m2 = cd.containerd.ctr(['run', '--rm', ...pod('container'), TEST_IMAGE, 'ctrpod-m2', 'sh', '-c', 'echo from m2; exit 3']);
      assert.equal(m2.code, 3, m2.stderr);
      assert.equal(m2.stdout, 'from m2\n');
      assert.equal(podVms().length, 1);
    } finally {
      for (const id of ['ctrpod-m1', sb]) {
        cd.containerd.ctr(['task', 'kill', '-s', 'KILL', id]);
        for (let i = 0; i < 100 && !new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(cd.containerd.ctr(['task', 'ls']).stdout); i++) spawnSync('sleep', ['0.1']);
        cd.containerd.ctr(['task', 'delete', id]);
        cd.containerd.ctr(['container', 'delete', id]);
      }
    }
    assert.deepEqual(left(), [], 'delete removed every container\'s state');
    assert.deepEqual(podVms(), []);
  });
});
