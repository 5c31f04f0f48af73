// SPDX-License-Identifier: Apache-2.0
/**
 * Fault injection (issue #10): kill one process of a sandbox at one lifecycle step, then check the invariants of
 * docs/architecture.md ("State under faults"), `delete --force`, and look for leaks. Shared by the e2e tier (a
 * subset) and `npm run bench -- faults` (the whole matrix).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cellaToFile, cellaToFile as cella, listTree, makeBundle, processesMentioning, tempDir, type CellaResult } from './cella';

export type Victim = 'cli' | 'holder' | 'qemu' | 'virtiofsd';
export type Step = 'boot' | 'created' | 'running' | 'exec' | 'delete';
export interface Scenario { victim: Victim; step: Step }

export const VICTIMS: readonly Victim[] = ['cli', 'holder', 'qemu', 'virtiofsd'];
export const STEPS: readonly Step[] = ['boot', 'created', 'running', 'exec', 'delete'];

/** Every victim at every step, but the CLI while the container just runs (no command is running then). */
export function fullMatrix(): Scenario[] {
  return VICTIMS.flatMap((victim) => STEPS.filter((step) => !(victim === 'cli' && step === 'running')).map((step) => ({ victim, step })));
}

export function scenarioName(s: Scenario): string {
  return `${s.victim}@${s.step}`;
}

interface Running { child: ChildProcess; done: Promise<CellaResult> }

/** A `cella` command in the background (to be killed, or awaited). */
function background(args: string[]): Running {
  let child: ChildProcess | undefined;
  const done = cellaToFile(args, { onSpawn: (c) => { child = c; } });
  return { child: child!, done };
}

function readState(root: string, id: string): { status?: string; owner?: { pid?: number }; vm?: { pid?: number } } | undefined {
  try { return JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')) as ReturnType<typeof readState>; } catch { return undefined; }
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Pids of the `program` processes whose command line mentions `root`: one of its first words names the program
 * (virtiofsd may be started through its loader: `ld-linux… --argv0 virtiofsd …/virtiofsd`).
 */
function pidsOf(root: string, program: string): number[] {
  return processesMentioning(root).map((l) => Number(l.split(' ')[0])).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 8).some((a) => (a.split('/').pop() ?? '').startsWith(program));
    } catch { return false; }
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** What a user checks after any failure: an error code and message, no stack trace. */
function checkErrorOutput(what: string, r: CellaResult, problems: string[]): void {
  if (/\n\s+at .+\(.*:\d+:\d+\)/.test(r.stderr)) problems.push(`${what} printed a stack trace: ${r.stderr.slice(0, 300)}`);
  if (r.code !== 0 && r.signal === null && !/\(E_[A-Z_]+\)/.test(r.stderr)) problems.push(`${what} failed (exit ${r.code}) without an error code: ${r.stderr.slice(0, 300)}`);
}

/** Mounts, loop devices and processes left for this root, and any file under it. */
export function leaks(root: string): string[] {
  const found: string[] = [];
  found.push(...processesMentioning(root).map((p) => `process ${p}`));
  found.push(...readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(root)).map((l) => `mount ${l}`));
  let loops = '';
  try { loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' }); } catch { /* no losetup */ }
  found.push(...loops.split('\n').filter((l) => l.includes(root)).map((l) => `loop ${l}`));
  found.push(...listTree(root).map((f) => `file ${f}`));
  return found;
}

function taps(): string[] {
  try { return readdirSync('/sys/class/net').filter((n) => n.startsWith('tap')); } catch { return []; }
}

export interface FaultResult { scenario: Scenario; problems: string[]; ms: number }

/**
 * Run one scenario in a fresh root with a `sleep` container (virtio-fs storage when virtiofsd is the victim).
 * Returns the broken invariants (empty when it passed).
 */
export async function runScenario(s: Scenario): Promise<FaultResult> {
  const t0 = Date.now();
  const root = tempDir('faults-root');
  const id = `f-${s.victim}-${s.step}`;
  const bundle = await makeBundle(['sh', '-c', 'sleep 1000']);
  const g = ['--root', root];
  if (s.victim === 'virtiofsd') {
    const config = join(tempDir('faults-cfg'), 'config.toml');
    await fs.writeFile(config, 'version = 1\n[storage]\nplugin = "@cella/storage-virtiofs"\n');
    g.push('--config', config);
  }
  const tapsBefore = taps();
  const problems: string[] = [];
  const victimPid = (): number | undefined => {
    const st = readState(root, id);
    if (s.victim === 'holder') return st?.owner?.pid;
    if (s.victim === 'qemu') return st?.vm?.pid;
    return pidsOf(root, 'virtiofsd')[0];
  };
  let created: CellaResult | undefined;
  let active: Running | undefined;
  let killed: number | undefined;
  let killedAt = Date.now();
  const kill = (pid: number | undefined): void => {
    if (pid === undefined) { problems.push(`no ${s.victim} process to kill at ${s.step}`); return; }
    killed = pid;
    killedAt = Date.now();
    try { process.kill(pid, 'SIGKILL'); } catch { problems.push(`${s.victim} (${pid}) was already gone at ${s.step}`); }
  };
  try {
    if (s.step === 'boot') {
      active = background(['create', ...g, '--bundle', bundle, id]);
      // QEMU runs, the guest has not answered yet.
      await until('the VM to start', () => readState(root, id)?.vm?.pid !== undefined && readState(root, id)?.status === 'creating');
      if (s.victim === 'virtiofsd') await until('virtiofsd', () => pidsOf(root, 'virtiofsd').length > 0);
      kill(s.victim === 'cli' ? active.child.pid : victimPid());
      created = await active.done;
      checkErrorOutput('create', created, problems);
    } else {
      created = await cella(['create', ...g, '--bundle', bundle, id]);
      if (created.code !== 0) throw new Error(`create failed: ${created.stderr}`);
      if (s.step === 'created') {
        if (s.victim === 'cli') {
          active = background(['start', ...g, id]);
          await new Promise((r) => setTimeout(r, 300));
          kill(active.child.pid);
        } else {
          kill(victimPid());
        }
      } else {
        const started = await cella(['start', ...g, id]);
        if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
        if (s.step === 'running') kill(victimPid());
        if (s.step === 'exec') {
          active = background(['exec', ...g, id, 'sleep', '1000']);
          await new Promise((r) => setTimeout(r, 2000));
          kill(s.victim === 'cli' ? active.child.pid : victimPid());
        }
        if (s.step === 'delete') {
          const vp = victimPid();
          active = background(['delete', '--force', ...g, id]);
          await new Promise((r) => setTimeout(r, 200));
          kill(s.victim === 'cli' ? active.child.pid : vp);
        }
      }
    }
    // Item 2: no command waits forever on a sandbox that lost a process (30 s is far beyond any honest answer).
    if (active) {
      const r = await Promise.race([active.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
      if (r === undefined) { problems.push(`the running command did not end within 30 s of the kill`); active.child.kill('SIGKILL'); await active.done; }
      else if (active.child.pid !== killed) checkErrorOutput('the running command', r, problems);
    }
    await checkInvariants(root, id, g, created, killedAt, problems);
    const del = await cella(['delete', '--force', ...g, id]);
    checkErrorOutput('delete --force', del, problems);
    if (del.code !== 0) problems.push(`delete --force exited ${del.code}: ${del.stderr.slice(0, 300)}`);
    // The holder and QEMU get a moment to go after the delete returned.
    await until('no process left', () => processesMentioning(root).length === 0, 5000).catch(() => undefined);
    problems.push(...leaks(root).map((l) => `leak: ${l}`));
    const newTaps = taps().filter((t) => !tapsBefore.includes(t));
    if (newTaps.length > 0) problems.push(`leak: taps ${newTaps.join(', ')}`);
  } catch (err) {
    problems.push(`scenario error: ${err instanceof Error ? err.message : String(err)}`);
    active?.child.kill('SIGKILL');
    await cella(['delete', '--force', ...g, id]).catch(() => undefined);
    for (const l of processesMentioning(root)) { try { process.kill(Number(l.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ } }
  }
  return { scenario: s, problems, ms: Date.now() - t0 };
}

/**
 * (a) within 2 s `state` is true: it says running/created only while the VM runs, and stopped once it is gone;
 * (c) a container whose create succeeded is still listed. A `state` started 2 s after the kill or later must
 * tell the truth (`state` itself takes a second or more on a loaded 2-core machine).
 */
async function checkInvariants(root: string, id: string, g: string[], created: CellaResult | undefined, killedAt: number, problems: string[]): Promise<void> {
  const deadline = killedAt + 2000;
  let last = '';
  for (;;) {
    const asked = Date.now();
    const r = await cella(['state', ...g, id]);
    const qemuUp = pidsOf(root, 'qemu-system').some(alive);
    let verdict: string | undefined;
    if (r.code !== 0) {
      checkErrorOutput('state', r, problems);
      // Only a create that failed (and was undone) or a delete that finished may leave no container.
      if (created?.code === 0 && !/does not exist/.test(r.stderr)) verdict = `state failed: ${r.stderr.slice(0, 200)}`;
      else if (created?.code === 0 && readState(root, id) !== undefined) verdict = 'state says the container does not exist while its folder is there';
      else if (qemuUp) verdict = 'the container is gone from state but its VM runs';
    } else {
      const status = (JSON.parse(r.stdout) as { status: string }).status;
      if (status === 'stopped' && qemuUp) verdict = `state says stopped while the VM runs (${pidsOf(root, 'qemu-system').filter(alive).join(', ')})`;
      else if (status !== 'stopped' && !qemuUp) verdict = `state says ${status} while the VM is gone`;
    }
    if (verdict === undefined) return;
    last = verdict;
    if (asked >= deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  problems.push(`invariant (a)/(c) broken 2 s after the kill: ${last}`);
}

/** The one-line summary the suite and the bench print. */
export function summary(results: readonly FaultResult[]): string {
  const passed = results.filter((r) => r.problems.length === 0).length;
  const failed = results.filter((r) => r.problems.length > 0).map((r) => scenarioName(r.scenario));
  return `faults: ${passed}/${results.length}${failed.length > 0 ? ` (failed: ${failed.join(', ')})` : ''}`;
}
