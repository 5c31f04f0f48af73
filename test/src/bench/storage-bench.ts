// SPDX-License-Identifier: Apache-2.0
/**
 * The storage section of `npm run bench` (issue #5): what a container sees on a volume, per storage variant —
 * virtio-fs with `cache_mode = "never"`, virtio-fs with `cache_mode = "auto"` (a host folder bind-mounted into
 * the container; the rootfs is on virtio-fs too) and virtio-blk (an ext4 image file as a block volume) — and
 * what each adds to `cella run`.
 *
 * One `cella run` per variant and repetition runs a busybox script on the volume, timed in the guest with
 * /proc/uptime (10 ms steps; no busybox `date +%N` in the image):
 * - sequential read, cold: a file of BENCH_STORAGE_MIB MiB written by the host before the run, its host page
 *   cache dropped (fsync + posix_fadvise DONTNEED through GNU dd `iflag=nocache`, checked with fincore) and
 *   never read by this guest;
 * - sequential write: `dd` from /dev/zero with `conv=fsync` (the time includes the flush to the host);
 * - sequential read, guest cache dropped: the file just written, after `sync` and `echo 3 >
 *   /proc/sys/vm/drop_caches` in the guest (the bench bundle has CAP_SYS_ADMIN and a writable /proc/sys for
 *   this); the host's page cache still holds it, so this is the transport rather than the host disk;
 * - small files: BENCH_STORAGE_FILES files of 4 KiB made by a shell loop (builtins only), then `sync`;
 *   the same loop on the guest's tmpfs (/dev/shm) is the reference for what the loop itself costs.
 * Start cost: median wall time of `cella run` of `true` with the rootfs and one volume per variant, against
 * the block driver with no volume. TCG bounds the absolute figures: compare within one run.
 * Knobs: BENCH_RUNS (repetitions per variant, default 3), BENCH_STORAGE_MIB (128), BENCH_STORAGE_FILES (1000).
 * A figure timed over less than 0.5 s says how much the 10 ms clock step can be off.
 * With the defaults the section takes about 3.5 minutes on 2 cores under TCG (21 VM boots).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CELLA, HELLO, listTree, processesMentioning, tempDir } from '../helpers/cella';

type Row = [string, string];

function setting(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name} must be a whole number from 1 to ${max}, not ${raw}`);
  return value;
}

/** The storage bench's knobs, read when the section starts (a bad value fails only this section). */
function settings(): { runs: number; mib: number; files: number } {
  return {
    runs: setting('BENCH_RUNS', 3, 50),
    mib: setting('BENCH_STORAGE_MIB', 128, 1024),
    // The tmpfs reference holds them all in the container's 64 MiB /dev/shm.
    files: setting('BENCH_STORAGE_FILES', 1000, 10_000),
  };
}

/** The settings of this run, for the section's title line. */
export function storageBenchSettings(): string {
  try {
    const s = settings();
    return `${s.mib} MiB sequential, ${s.files} files of 4 KiB, median of ${s.runs} runs per variant`;
  } catch (err) {
    return `bad settings: ${err instanceof Error ? err.message : String(err)}`;
  }
}

interface Variant {
  label: string;
  /** Short name for sandbox ids and files. */
  key: string;
  kind: 'virtiofs' | 'block';
  /** The plugin id `cella plugins list` shows in the storage role. */
  pluginId: string;
  /** The config file's lines after `version = 1`. */
  toml: string[];
  /** The volume's filesystem type in the guest's /proc/mounts. */
  fstype: string;
}

const VARIANTS: Variant[] = [
  {
    label: 'virtio-fs cache=never', key: 'vfs-never', kind: 'virtiofs', pluginId: 'storage.virtiofs', fstype: 'virtiofs',
    toml: ['[storage]', 'plugin = "@cella/storage-virtiofs"', '[plugins."storage.virtiofs"]', 'cache_mode = "never"'],
  },
  {
    label: 'virtio-fs cache=auto', key: 'vfs-auto', kind: 'virtiofs', pluginId: 'storage.virtiofs', fstype: 'virtiofs',
    toml: ['[storage]', 'plugin = "@cella/storage-virtiofs"', '[plugins."storage.virtiofs"]', 'cache_mode = "auto"'],
  },
  {
    label: 'virtio-blk', key: 'blk', kind: 'block', pluginId: 'storage.block', fstype: 'ext4',
    toml: ['[storage]', 'plugin = "@cella/storage-block"', '[plugins."storage.block"]', 'block_device_driver = "virtio-blk"'],
  },
];

/** The start-time baseline: the block driver (virtio-blk), the rootfs only. */
const BASELINE: Variant = VARIANTS[2]!;
/** Where the volume appears in the container (a folder of the read-only hello rootfs). */
const VOLUME_AT = '/root';
const MAX_STDOUT = 256 * 1024;
const MAX_STDERR = 16 * 1024;
const RUN_TIMEOUT_MS = 600_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function progress(what: string, since: number): number {
  const now = Date.now();
  process.stderr.write(`bench storage: ${what} (${((now - since) / 1000).toFixed(1)} s)\n`);
  return now;
}

/** Runs a host tool; throws with its stderr when it fails. */
function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message}): ${String(r.stderr).slice(0, 1000)}`);
  return r.stdout;
}

// ---- cella run, interruptible ----------------------------------------------------------------------------

let current: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;

interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/**
 * `cella ARGS` with bounded output (stdout beyond MAX_STDOUT fails the run, the last MAX_STDERR of stderr is
 * kept). A timeout or an interrupt sends SIGTERM (cella tears down), then SIGKILL after 30 s.
 */
function cellaRun(args: string[]): Promise<RunResult> {
  if (interrupted) return Promise.reject(new Error(`interrupted by ${interrupted}`));
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [CELLA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let stdout = '';
    let stderr = '';
    let overflow = false;
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length + d.length > MAX_STDOUT) overflow = true;
      else stdout += d.toString('latin1');
    });
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('latin1')).slice(-MAX_STDERR); });
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => { clearTimeout(timer); clearTimeout(killer); current = undefined; reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      current = undefined;
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const what = `cella ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${what} timed out after ${RUN_TIMEOUT_MS / 1000} s\n${stderr}`));
      else if (overflow) reject(new Error(`${what} wrote more than ${MAX_STDOUT} bytes to stdout`));
      else if (interrupted) reject(new Error(`interrupted by ${interrupted}`));
      else resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

/** `cellaRun` that must exit 0; the error's first line is the sandbox id and cella's own error line and code. */
async function cellaRunOk(args: string[]): Promise<RunResult> {
  const r = await cellaRun(args);
  if (r.code !== 0) {
    const said = /^cella: error: (.*)$/m.exec(r.stderr)?.[1] ?? r.stderr.trim().split('\n').pop() ?? '';
    const code = /\((E_[A-Z0-9_]+)\)/.exec(r.stderr)?.[1];
    throw new Error(`cella ${args[0]} ${args[args.length - 1]} exited ${r.code ?? r.signal}: ${said.slice(0, 300)}${code ? ` (${code})` : ''}\n`
      + `cella ${args.join(' ')}\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
  }
  return r;
}

// ---- files the runs use ----------------------------------------------------------------------------------

async function writeConfig(work: string, v: Variant): Promise<string> {
  const file = join(work, `${v.key}.toml`);
  await fs.writeFile(file, ['version = 1', ...v.toml, ''].join('\n'));
  return file;
}

/** Why the variant's storage plugin cannot be measured (from `cella plugins list --json`); undefined when loaded. */
function whyUnavailable(config: string, v: Variant): string | undefined {
  const r = spawnSync(process.execPath, [CELLA, 'plugins', 'list', '--json', '--config', config], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `cella plugins list failed: ${String(r.stderr).split('\n')[0]}`;
  const rows = (JSON.parse(r.stdout) as { plugins: Array<{ id: string; role: string | null; status: string; reason: string | null }> }).plugins;
  const row = rows.find((p) => p.id === v.pluginId && p.role === 'storage');
  if (!row) return 'plugin not installed';
  return row.status === 'loaded' ? undefined : `plugin ${row.status}${row.reason ? `: ${row.reason}` : ''}`;
}

/** A bundle from the hello rootfs running `args` with `volume` (an OCI mount at VOLUME_AT) if given. */
async function writeBundle(dir: string, args: string[], volume: Record<string, unknown> | undefined, dropCaches: boolean): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const spec = JSON.parse(await fs.readFile(join(HELLO, 'config.json'), 'utf8'));
  spec.process.args = args;
  spec.root.path = join(HELLO, 'rootfs');
  if (volume) spec.mounts.push({ destination: VOLUME_AT, ...volume });
  if (dropCaches) {
    // `echo 3 > /proc/sys/vm/drop_caches` needs CAP_SYS_ADMIN and /proc/sys writable (the guest is the VM's).
    for (const set of ['bounding', 'effective', 'permitted']) spec.process.capabilities[set].push('CAP_SYS_ADMIN');
    spec.linux.readonlyPaths = (spec.linux.readonlyPaths as string[]).filter((p) => p !== '/proc/sys');
  }
  await fs.writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** A file of random bytes (mkfs.ext4 -d leaves zero blocks out as holes, so zeros would not be read from disk). */
async function randomFile(file: string, mib: number): Promise<void> {
  const h = await fs.open(file, 'wx');
  try {
    for (let i = 0; i < mib; i++) await h.write(randomBytes(1024 * 1024));
  } finally {
    await h.close();
  }
}

/** An ext4 image holding the files of `from` (none: empty), fully initialised (no lazy init in the guest). */
function ext4Image(image: string, mib: number, inodes: number, from: string | undefined): void {
  tool('truncate', ['-s', `${mib}M`, image]);
  tool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-N', String(inodes), '-E', 'lazy_itable_init=0,lazy_journal_init=0',
    ...(from ? ['-d', from] : []), image]);
}

/** Flushes `file` and drops it from the host's page cache; returns the bytes still cached (fincore), or -1 unknown. */
function dropHostCache(file: string): number {
  tool('sync', [file]);
  tool('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' });
  const n = r.status === 0 ? Number(r.stdout.trim()) : NaN;
  return Number.isFinite(n) ? n : -1;
}

// ---- the guest script and what it prints -----------------------------------------------------------------

/** The busybox script run on the volume; every figure is a `TIME name start end [first stderr line]` line. */
function guestScript(mib: number, files: number): string {
  return [
    "trap 'exit 143' TERM INT",
    'fail() { echo "FAIL $1 $(head -c 300 /dev/shm/err 2>/dev/null | tr \'\\n\' \' \')"; exit 3; }',
    // Builtins only between the two reads of /proc/uptime, apart from the measured command.
    'step() { name=$1; shift; read a _ < /proc/uptime; "$@" 2>/dev/shm/err || fail "$name"; read b _ < /proc/uptime; '
      + 'rec=; read -r rec < /dev/shm/err; echo "TIME $name $a $b $rec"; }',
    `files() { mkdir "$1" || return 1; i=0; while [ "$i" -lt ${files} ]; do echo -n "$blk" > "$1/f$i" || return 1; i=$((i + 1)); done; sync; }`,
    "blk=$(head -c 4096 /dev/zero | tr '\\0' x)",
    '[ "${#blk}" -eq 4096 ] || { echo "FAIL setup a block of ${#blk} bytes"; exit 3; }',
    `echo "MOUNT $(grep ' ${VOLUME_AT} ' /proc/mounts | tail -n 1)"`,
    // Paths relative to the folder the files go to: an absolute path would be looked up through the rootfs,
    // which costs a round trip to virtiofsd per lookup under cache=never (no dentry caching).
    'cd /dev/shm || { echo "FAIL cd /dev/shm"; exit 3; }',
    'step small_tmpfs files small',
    'echo "COUNT small_tmpfs $(ls small | wc -l) $(cat small/* | wc -c)"',
    'rm -rf small',
    `cd ${VOLUME_AT} || { echo "FAIL cd ${VOLUME_AT}"; exit 3; }`,
    'step cold_read dd if=read.bin of=/dev/null bs=1M',
    `step write dd if=/dev/zero of=write.bin bs=1M count=${mib} conv=fsync`,
    'echo "SIZE write $(stat -c %s write.bin)"',
    'if sync && echo 3 > /proc/sys/vm/drop_caches; then echo "DROP ok"; step warm_read dd if=write.bin of=/dev/null bs=1M; '
      + 'else echo "DROP refused"; fi',
    'step small files small',
    'echo "COUNT small $(ls small | wc -l) $(cat small/* | wc -c)"',
    'echo END',
  ].join('\n');
}

/** Seconds per step of one run; warmRead is undefined when the guest refused to drop its cache. */
interface RunFigures { coldRead: number; write: number; warmRead: number | undefined; small: number; smallTmpfs: number }

/** Parses and checks what the guest script printed (bounded: the first 200 lines). */
export function parseGuestOutput(out: string, mib: number, files: number, fstype: string): RunFigures {
  const lines = out.split('\n').slice(0, 200).map((l) => l.trimEnd());
  const show = `\nthe container printed:\n${out.slice(0, 2000)}`;
  const failed = lines.find((l) => l.startsWith('FAIL '));
  if (failed) throw new Error(`the guest script failed: ${failed.slice(0, 500)}${show}`);
  if (!lines.includes('END')) throw new Error(`the guest script did not finish (no END line)${show}`);
  const line = (re: RegExp, what: string): RegExpExecArray => {
    for (const l of lines) { const m = re.exec(l); if (m) return m; }
    throw new Error(`the guest printed no ${what} line${show}`);
  };
  const mount = line(/^MOUNT (\S+) (\S+) (\S+) /, 'MOUNT');
  if (mount[2] !== VOLUME_AT || mount[3] !== fstype) {
    throw new Error(`the volume is mounted at ${mount[2]} as ${mount[3]}, not at ${VOLUME_AT} as ${fstype}${show}`);
  }
  const seconds = (name: string, records?: string): number => {
    const m = line(new RegExp(`^TIME ${name} (\\d{1,9}\\.\\d{2}) (\\d{1,9}\\.\\d{2})(?: (.*))?$`), `TIME ${name}`);
    const s = Number(m[2]) - Number(m[1]);
    if (!(s >= 0 && s <= 3600)) throw new Error(`TIME ${name}: ${s} s is not a plausible duration${show}`);
    if (records !== undefined && m[3] !== records) throw new Error(`TIME ${name}: dd says "${m[3] ?? ''}", not "${records}"${show}`);
    return s;
  };
  const whole = `${mib}+0 records in`;
  const bytes = (name: string): void => {
    const m = line(new RegExp(`^COUNT ${name} (\\d+) (\\d+)$`), `COUNT ${name}`);
    if (Number(m[1]) !== files || Number(m[2]) !== files * 4096) {
      throw new Error(`${name}: the guest made ${m[1]} files of ${m[2]} bytes in all, not ${files} of ${files * 4096}${show}`);
    }
  };
  bytes('small_tmpfs');
  bytes('small');
  const size = line(/^SIZE write (\d+)$/, 'SIZE write');
  if (Number(size[1]) !== mib * 1024 * 1024) throw new Error(`write.bin has ${size[1]} bytes, not ${mib * 1024 * 1024}${show}`);
  const drop = line(/^DROP (ok|refused)$/, 'DROP');
  return {
    smallTmpfs: seconds('small_tmpfs'),
    coldRead: seconds('cold_read', whole),
    write: seconds('write', whole),
    warmRead: drop[1] === 'ok' ? seconds('warm_read', whole) : undefined,
    small: seconds('small'),
  };
}

// ---- the measurements ------------------------------------------------------------------------------------

interface Work { dir: string; root: string; readFile: string; readSrc: string; configs: Map<string, string> }

/** One throughput run: a fresh volume holding read.bin (host cache dropped), the script, its figures. */
async function throughputRun(w: Work, v: Variant, i: number, mib: number, files: number): Promise<RunFigures & { cached: number }> {
  const vol = join(w.dir, `vol-${v.key}-${i}`);
  let volume: Record<string, unknown>;
  let cached: number;
  if (v.kind === 'virtiofs') {
    await fs.mkdir(vol);
    await fs.copyFile(w.readFile, join(vol, 'read.bin'));
    cached = dropHostCache(join(vol, 'read.bin'));
    volume = { type: 'bind', source: vol, options: ['rbind', 'rw'] };
  } else {
    const image = `${vol}.img`;
    // Room for both files, the small files (a block each) and ext4's journal and metadata.
    ext4Image(image, 2 * mib + Math.ceil(files * 4 / 1024) + 64, files + 256, w.readSrc);
    cached = dropHostCache(image);
    volume = { type: 'ext4', source: image, options: ['rw'] };
  }
  try {
    const bundle = await writeBundle(join(w.dir, `bundle-${v.key}`), ['sh', '-c', guestScript(mib, files)], volume, true);
    const r = await cellaRunOk(['run', '--config', w.configs.get(v.key)!, '--root', w.root, '--bundle', bundle, `sto-${v.key}-${i}`]);
    return { ...parseGuestOutput(r.stdout, mib, files, v.fstype), cached };
  } finally {
    await fs.rm(v.kind === 'virtiofs' ? vol : `${vol}.img`, { recursive: true, force: true });
  }
}

interface VariantFigures { runs: RunFigures[]; cachedMax: number; size: number }

function throughputRows(v: Variant, f: VariantFigures | undefined, missing: string | undefined, mib: number, files: number): Row[] {
  const n = `storage ${v.label}:`;
  if (!f) return [[`${n} throughput`, missing ?? 'not measured']];
  const rate = (amount: number, xs: number[]): string => {
    const s = median(xs);
    if (s <= 0) return `over ${(amount / 0.01).toFixed(0)} (under the 10 ms clock step)`;
    return `${(amount / s).toFixed(1)}${s < 0.5 ? ` (±${Math.ceil(1 / s)}%: ${s.toFixed(2)} s timed)` : ''}`;
  };
  const warm = f.runs.map((r) => r.warmRead).filter((x): x is number => x !== undefined);
  const hostCached = f.cachedMax > 0.05 * f.size ? ` (host cache still held ${(f.cachedMax / 1048576).toFixed(0)} MiB)` : '';
  return [
    [`${n} sequential write + fsync (MiB/s)`, rate(mib, f.runs.map((r) => r.write))],
    [`${n} sequential read, cold (MiB/s)`, `${rate(mib, f.runs.map((r) => r.coldRead))}${hostCached}`],
    [`${n} sequential read, guest cache dropped (MiB/s)`,
      warm.length === f.runs.length ? rate(mib, warm) : 'not measured: the guest refused to drop its page cache'],
    [`${n} create 4 KiB files + sync (files/s)`, rate(files, f.runs.map((r) => r.small))],
    [`${n} the same loop on guest tmpfs, reference (files/s)`, rate(files, f.runs.map((r) => r.smallTmpfs))],
  ];
}

/** Start cost: `cella run true` per variant with one volume, and the baseline, interleaved per repetition. */
async function startCost(w: Work, usable: Variant[], runs: number): Promise<Map<string, number>> {
  const emptyDir = join(w.dir, 'start-vol');
  await fs.mkdir(emptyDir);
  const emptyImage = join(w.dir, 'start-vol.img');
  ext4Image(emptyImage, 64, 256, undefined);
  const sides: Array<{ key: string; config: string; bundle: string }> = [];
  sides.push({ key: 'baseline', config: w.configs.get(BASELINE.key)!, bundle: await writeBundle(join(w.dir, 'start-baseline'), ['true'], undefined, false) });
  for (const v of usable) {
    const volume = v.kind === 'virtiofs'
      ? { type: 'bind', source: emptyDir, options: ['rbind', 'rw'] }
      : { type: 'ext4', source: emptyImage, options: ['rw'] };
    sides.push({ key: v.key, config: w.configs.get(v.key)!, bundle: await writeBundle(join(w.dir, `start-${v.key}`), ['true'], volume, false) });
  }
  const times = new Map<string, number[]>(sides.map((s) => [s.key, []]));
  for (let i = 0; i < runs; i++) {
    const t = Date.now();
    // A different side goes first in each repetition, so no side always follows the same one.
    const order = [...sides.slice(i % sides.length), ...sides.slice(0, i % sides.length)];
    for (const s of order) {
      const r = await cellaRunOk(['run', '--config', s.config, '--root', w.root, '--bundle', s.bundle, `start-${s.key}-${i}`]);
      times.get(s.key)!.push(r.ms);
    }
    progress(`start run ${i + 1}/${runs}: ${order.map((s) => `${s.key} ${times.get(s.key)![i]!.toFixed(0)} ms`).join(', ')}`, t);
  }
  return new Map([...times].map(([k, xs]) => [k, median(xs)]));
}

/** A failure: the whole error on stderr, its first line for the row. */
function failure(what: string, err: unknown): string {
  process.stderr.write(`bench storage: ${what} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  return `failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
}

async function measureAll(w: Work): Promise<{ rows: Row[]; failed: boolean }> {
  const { runs, mib, files } = settings();
  let failed = false;
  await fs.mkdir(w.readSrc);
  await randomFile(w.readFile, mib);
  const missing = new Map<string, string>();
  const usable: Variant[] = [];
  for (const v of VARIANTS) {
    w.configs.set(v.key, await writeConfig(w.dir, v));
    const why = whyUnavailable(w.configs.get(v.key)!, v);
    if (why) missing.set(v.key, `skipped: ${why}`);
    else usable.push(v);
  }
  const figures = new Map<string, VariantFigures>();
  for (const v of usable) {
    try {
      const f: VariantFigures = { runs: [], cachedMax: 0, size: mib * 1048576 };
      for (let i = 0; i < runs; i++) {
        const t = Date.now();
        const r = await throughputRun(w, v, i, mib, files);
        f.runs.push(r);
        f.cachedMax = Math.max(f.cachedMax, r.cached);
        progress(`${v.label} run ${i + 1}/${runs}: write ${r.write.toFixed(2)} s, cold read ${r.coldRead.toFixed(2)} s, `
          + `read ${r.warmRead?.toFixed(2) ?? '-'} s, ${files} files ${r.small.toFixed(2)} s (tmpfs ${r.smallTmpfs.toFixed(2)} s)`, t);
      }
      figures.set(v.key, f);
    } catch (err) {
      failed = true;
      missing.set(v.key, failure(v.label, err));
    }
  }
  const rows: Row[] = VARIANTS.flatMap((v) => throughputRows(v, figures.get(v.key), missing.get(v.key), mib, files));
  if (missing.get(BASELINE.key)?.startsWith('skipped')) {
    rows.push(['storage start cost', `skipped: the baseline (${BASELINE.label}) is not usable`]);
  } else {
    try {
      const start = await startCost(w, usable, runs);
      const base = start.get('baseline')!;
      rows.push(['storage start: cella run true, block rootfs, no volume (median ms)', base.toFixed(0)]);
      for (const v of VARIANTS) {
        const ms = start.get(v.key);
        const what = v.kind === 'virtiofs' ? `${v.label}, rootfs and volume on virtio-fs` : `${v.label} rootfs and volume`;
        if (ms === undefined) { rows.push([`storage start: ${what}`, missing.get(v.key) ?? 'not measured']); continue; }
        rows.push([`storage start: cella run true, ${what} (median ms)`, ms.toFixed(0)]);
        rows.push([`storage start: ${v.label} adds (ms)`, (ms - base).toFixed(0)]);
      }
    } catch (err) {
      failed = true;
      rows.push(['storage start cost', failure('start cost', err)]);
    }
  }
  return { rows, failed };
}

/** Mount points at or below `dir` (from /proc/self/mounts, octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * Unwinds any sandbox left under `root` (`cella delete --force`, which undoes its journal), ends any process
 * still mentioning `root` (by its pid) and removes `dir` — unless something is still mounted below it, which
 * is reported and kept (removing it would reach into the mounted folders). Returns what was left behind.
 */
async function cleanUp(dir: string, root: string): Promise<string[]> {
  const left: string[] = [];
  let ids: string[] = [];
  try { ids = readdirSync(root); } catch { /* never made */ }
  for (const id of ids) {
    left.push(`sandbox ${id} (unwound with cella delete --force)`);
    spawnSync(process.execPath, [CELLA, '--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 120_000 });
  }
  for (const line of processesMentioning(root)) {
    left.push(`process ${line}`);
    try { process.kill(Number(line.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ }
  }
  left.push(...listTree(root));
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) {
    left.push(...mounts.map((m) => `mount ${m}`));
    process.stderr.write(`bench storage: not removing ${dir}: mounts remain below it:\n${mounts.join('\n')}\n`);
  } else {
    await fs.rm(dir, { recursive: true, force: true });
  }
  if (left.length > 0) process.stderr.write(`bench storage: left behind (now removed):\n${left.join('\n')}\n`);
  return left;
}

/**
 * Runs the storage section. A variant that fails is reported in its row (`failed: …`, the whole error on
 * stderr) and sets `failed`; the others still run. Every VM, virtiofsd, mount and file it made is gone when
 * it settles; anything a run had left behind (then removed) also sets `failed`. An interrupt stops the
 * running `cella run` (SIGTERM: it tears down), cleans up and exits 130 (SIGINT) or 143 (SIGTERM).
 */
export async function storageBench(): Promise<{ rows: Row[]; failed: boolean }> {
  settings();
  const dir = tempDir('bench-storage');
  const w: Work = { dir, root: join(dir, 'root'), readFile: join(dir, 'read-src', 'read.bin'), readSrc: join(dir, 'read-src'), configs: new Map() };
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    process.stderr.write(`bench storage: ${signal}: stopping the current run and cleaning up\n`);
    current?.kill('SIGTERM');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: { rows: Row[]; failed: boolean } | undefined;
  let left: string[] = [];
  try {
    await fs.mkdir(w.root);
    result = await measureAll(w);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    left = await cleanUp(dir, w.root);
    if (interrupted) process.exit(interrupted === 'SIGINT' ? 130 : 143);
  }
  return { rows: result.rows, failed: result.failed || left.length > 0 };
}
