// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { parseCgroupV2, readCgroupV2, type CgroupV2Texts } from './cgroup-stats';

const MAX = (1n << 64n) - 1n;

/** The files of a busy container's cgroup as the guest kernel (6.1) writes them, cut to a few memory.stat keys. */
function busy(): CgroupV2Texts {
  return {
    files: {
      'cpu.stat': 'usage_usec 2937485\nuser_usec 2847604\nsystem_usec 89881\nnr_periods 40\nnr_throttled 7\nthrottled_usec 123456\nnr_bursts 0\nburst_usec 0\n',
      'memory.stat': 'anon 57344\nfile 1581056\nkernel 135168\nkernel_stack 0\npgfault 119\npgmajfault 14\n',
      'memory.current': '2031616\n',
      'memory.max': 'max\n',
      'memory.peak': '2097152\n',
      'memory.swap.current': '4096\n',
      'memory.swap.max': 'max\n',
      'memory.events': 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n',
      'pids.current': '3\n',
      'pids.max': 'max\n',
      'cgroup.procs': '101\n102\n103\n',
      'io.stat': '254:16 rbytes=1581056 wbytes=8192 rios=25 wios=2 dbytes=0 dios=0\n',
    },
    hugetlb: new Map([['2MB', { current: '0\n', events: 'max 1\n' }]]),
  };
}

describe('cgroup v2 stats (guest side)', () => {
  it('turn cpu.stat microseconds into nanoseconds, as runc does', () => {
    const s = parseCgroupV2(busy());
    assert.equal(s.cpu.usage.totalUsage, 2_937_485n * 1000n);
    assert.equal(s.cpu.usage.usageInUsermode, 2_847_604n * 1000n);
    assert.equal(s.cpu.usage.usageInKernelmode, 89_881n * 1000n);
    assert.deepEqual(s.cpu.throttling, { periods: 40n, throttledPeriods: 7n, throttledTime: 123_456_000n });
  });

  it('read memory as runc: usage and limit ("max" = 2^64-1), file as cache, swap as memory+swap, every memory.stat key', () => {
    const m = parseCgroupV2(busy()).memory;
    assert.deepEqual(m.usage, { usage: 2_031_616n, maxUsage: 2_097_152n, failcnt: 0n, limit: MAX });
    assert.equal(m.cache, 1_581_056n);
    assert.deepEqual(m.swapUsage, { usage: 2_031_616n + 4096n, maxUsage: 0n, failcnt: 0n, limit: MAX });
    assert.deepEqual([...m.stats.keys()], ['anon', 'file', 'kernel', 'kernel_stack', 'pgfault', 'pgmajfault']);
    const limited = busy();
    limited.files['memory.max'] = '33554432\n';
    limited.files['memory.swap.max'] = '0\n';
    assert.equal(parseCgroupV2(limited).memory.swapUsage.limit, 33_554_432n, 'a swap limit adds the memory limit');
  });

  it('count pids (pids.max "max" is no limit: 0), or the procs when the pids controller is off', () => {
    assert.deepEqual(parseCgroupV2(busy()).pids, { current: 3n, limit: 0n });
    const t = busy();
    t.files['pids.max'] = '512\n';
    assert.deepEqual(parseCgroupV2(t).pids, { current: 3n, limit: 512n });
    delete t.files['pids.current'];
    assert.deepEqual(parseCgroupV2(t).pids, { current: 3n, limit: 0n });
  });

  it('map io.stat onto runc\'s Read/Write tables and pass the OOM counters and hugetlb on', () => {
    const s = parseCgroupV2(busy());
    assert.deepEqual(s.blkio.ioServiceBytesRecursive.map((e) => [e.major, e.minor, e.op, e.value]), [[254n, 16n, 'Read', 1_581_056n], [254n, 16n, 'Write', 8192n]]);
    assert.deepEqual(s.blkio.ioServicedRecursive.map((e) => [e.op, e.value]), [['Read', 25n], ['Write', 2n]]);
    assert.deepEqual(s.memoryEvents, { low: 0n, high: 0n, max: 12n, oom: 3n, oomKill: 2n });
    assert.deepEqual(s.hugetlb.get('2MB'), { usage: 0n, maxUsage: 0n, failcnt: 1n });
  });

  it('leave a controller that is not enabled at zero (no memory.stat: no memory at all, as runc)', () => {
    const t = busy();
    delete t.files['memory.stat'];
    delete t.files['io.stat'];
    const s = parseCgroupV2(t);
    assert.equal(s.memory.usage.usage, 0n);
    assert.equal(s.memory.stats.size, 0);
    assert.equal(s.blkio.ioServiceBytesRecursive.length, 0);
    assert.equal(s.cpu.usage.totalUsage, 2_937_485_000n);
  });

  it('refuse a file that does not hold numbers (E_AGENT_CGROUP_STATS naming the file)', () => {
    const t = busy();
    t.files['memory.current'] = 'lots\n';
    assert.throws(() => parseCgroupV2(t), (e: unknown) => isCellaError(e, 'E_AGENT_CGROUP_STATS') && e.details.file === 'memory.current');
  });

  it('read a cgroup folder (missing files are disabled controllers) and answer undefined for no folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cella-cgroup-'));
    try {
      assert.equal(await readCgroupV2(join(dir, 'none')), undefined);
      const cg = join(dir, 'cella', 'c1');
      mkdirSync(cg, { recursive: true });
      const t = busy();
      for (const [name, text] of Object.entries(t.files)) writeFileSync(join(cg, name), text);
      writeFileSync(join(cg, 'hugetlb.2MB.current'), '0\n');
      writeFileSync(join(cg, 'hugetlb.2MB.events'), 'max 1\n');
      rmSync(join(cg, 'pids.current'));
      const s = await readCgroupV2(cg);
      assert.deepEqual(s, parseCgroupV2({ files: { ...t.files, 'pids.current': undefined }, hugetlb: t.hugetlb }));
      assert.equal(s!.pids.current, 3n, 'counted from cgroup.procs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
