// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { parseGuestOutput, storageBenchSettings } from './storage-bench';

/** What the storage bench accepts from the guest script: every figure present, whole and plausible. */
describe('storage bench: parsing the guest script output', () => {
  const good = [
    'MOUNT none /root virtiofs rw,relatime 0 0',
    'TIME small_tmpfs 6.10 6.35',
    'COUNT small_tmpfs 100 409600',
    'TIME cold_read 6.40 6.52 8+0 records in',
    'TIME write 6.52 6.80 8+0 records in',
    'SIZE write 8388608',
    'DROP ok',
    'TIME warm_read 6.90 7.00 8+0 records in',
    'TIME small 7.00 7.50',
    'COUNT small 100 409600',
    'END',
  ];
  const parse = (lines: string[], fstype = 'virtiofs'): ReturnType<typeof parseGuestOutput> => parseGuestOutput(`${lines.join('\n')}\n`, 8, 100, fstype);
  const without = (prefix: string): string[] => good.filter((l) => !l.startsWith(prefix));

  it('reads the seconds of every step', () => {
    const f = parse(good);
    assert.equal(f.smallTmpfs.toFixed(2), '0.25');
    assert.equal(f.coldRead.toFixed(2), '0.12');
    assert.equal(f.write.toFixed(2), '0.28');
    assert.equal(f.warmRead?.toFixed(2), '0.10');
    assert.equal(f.small.toFixed(2), '0.50');
  });

  it('has no guest-cache-dropped read when the guest refused to drop its cache', () => {
    const f = parse([...without('DROP').filter((l) => !l.startsWith('TIME warm_read')), 'DROP refused']);
    assert.equal(f.warmRead, undefined);
  });

  it('names the missing line', () => {
    assert.throws(() => parse(without('TIME write')), /no TIME write line/);
    assert.throws(() => parse(without('TIME warm_read')), /no TIME warm_read line/);
    assert.throws(() => parse(without('MOUNT')), /no MOUNT line/);
    assert.throws(() => parse(without('END')), /did not finish \(no END line\)/);
  });

  it('refuses a volume of the wrong type, a short read or write, and missing files', () => {
    assert.throws(() => parse(good, 'ext4'), /mounted at \/root as virtiofs, not at \/root as ext4/);
    assert.throws(() => parse(good.map((l) => l.replace('TIME cold_read 6.40 6.52 8+0', 'TIME cold_read 6.40 6.52 7+0'))), /dd says "7\+0 records in", not "8\+0 records in"/);
    assert.throws(() => parse(good.map((l) => (l.startsWith('SIZE') ? 'SIZE write 4096' : l))), /write\.bin has 4096 bytes/);
    assert.throws(() => parse(good.map((l) => (l === 'COUNT small 100 409600' ? 'COUNT small 99 405504' : l))), /made 99 files/);
  });

  it('refuses a step that ends before it starts, and reports the guest failure line', () => {
    assert.throws(() => parse(good.map((l) => l.replace('TIME small 7.00 7.50', 'TIME small 7.50 7.00'))), /TIME small: .* not a plausible duration/);
    assert.throws(() => parse(['FAIL cold_read dd: can\'t open \'read.bin\'', ...good]), /the guest script failed: FAIL cold_read dd: can't open/);
  });

  it('names a bad setting', () => {
    const saved = process.env.BENCH_STORAGE_MIB;
    process.env.BENCH_STORAGE_MIB = '0.5';
    try {
      assert.match(storageBenchSettings(), /BENCH_STORAGE_MIB must be a whole number from 1 to 1024, not 0\.5/);
    } finally {
      if (saved === undefined) delete process.env.BENCH_STORAGE_MIB;
      else process.env.BENCH_STORAGE_MIB = saved;
    }
  });
});
