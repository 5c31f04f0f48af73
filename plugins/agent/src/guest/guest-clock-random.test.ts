// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { fstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import type { SyscallName } from '@cella/core/tty';
import { ioc, KernelClockRandom, randPoolInfo, RNDADDENTROPY, RNDRESEEDCRNG, timespec } from './guest-clock-random';

type Arg = bigint | Buffer;

/**
 * The syscall layer is a recording stand-in: these tests must never set the host's clock or seed the host's RNG.
 * The real syscalls run in a real guest (test/src/e2e/guest-time-random.e2e.test.ts).
 */
function recorder(fail?: (name: SyscallName, args: Arg[]) => Error | undefined): {
  calls: Array<{ name: SyscallName; args: Arg[]; snapshot: Buffer[] }>;
  syscalls: () => { sync(name: SyscallName, ...args: Arg[]): bigint };
} {
  const calls: Array<{ name: SyscallName; args: Arg[]; snapshot: Buffer[] }> = [];
  return {
    calls,
    syscalls: () => ({
      sync(name, ...args) {
        // What the kernel would have read, copied at call time (the buffers are zeroed afterwards).
        calls.push({ name, args, snapshot: args.filter((a): a is Buffer => Buffer.isBuffer(a)).map((b) => Buffer.from(b)) });
        const err = fail?.(name, args);
        if (err) throw err;
        return 0n;
      },
    }),
  };
}

describe('guest clock and CRNG syscalls (recorded, never run on the host)', () => {
  let dir: string;
  let device: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cella-clockrandom-'));
    device = join(dir, 'urandom');
    writeFileSync(device, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('computes the ioctl numbers of linux/random.h (values from /usr/include/linux/random.h built with gcc)', () => {
    assert.equal(RNDADDENTROPY, 0x40085203n, "_IOW('R', 0x03, int [2])");
    assert.equal(RNDRESEEDCRNG, 0x5207n, "_IO('R', 0x07)");
    // Two more of the same header as a check of ioc() itself: RNDGETENTCNT _IOR('R', 0x00, int), RNDADDTOENTCNT _IOW('R', 0x01, int).
    assert.equal(ioc(2, 'R', 0x00, 4), 0x80045200n);
    assert.equal(ioc(1, 'R', 0x01, 4), 0x40045201n);
  });

  it('lays out struct timespec as two little-endian int64: seconds, then nanoseconds', () => {
    const b = timespec(1_764_000_000, 999_999);
    assert.equal(b.length, 16);
    assert.equal(b.readBigInt64LE(0), 1_764_000_000n);
    assert.equal(b.readBigInt64LE(8), 999_999_000n);
  });

  it('lays out struct rand_pool_info: entropy bits, byte count, then the bytes', () => {
    const seed = Buffer.from('0123456789abcdef0123456789abcdef');
    const b = randPoolInfo(seed);
    assert.equal(b.length, 8 + 32);
    assert.equal(b.readInt32LE(0), 256);
    assert.equal(b.readInt32LE(4), 32);
    assert.deepEqual(b.subarray(8), seed);
  });

  it('setTime calls clock_settime(CLOCK_REALTIME, &timespec)', () => {
    const r = recorder();
    new KernelClockRandom({ syscalls: r.syscalls, randomDevice: device }).setTime(1_764_000_000, 250_000);
    assert.equal(r.calls.length, 1);
    assert.equal(r.calls[0]!.name, 'clock_settime');
    assert.equal(r.calls[0]!.args[0], 0n);
    assert.deepEqual(r.calls[0]!.snapshot[0], timespec(1_764_000_000, 250_000));
  });

  it('setTime turns a refusal of the kernel into E_AGENT_CLOCK with the reason', () => {
    const r = recorder(() => new Error('Operation not permitted'));
    assert.throws(() => new KernelClockRandom({ syscalls: r.syscalls }).setTime(1_764_000_000, 0), (e: unknown) =>
      isCellaError(e, 'E_AGENT_CLOCK') && (e.cause as Error).message === 'Operation not permitted');
  });

  it('reseed adds the seed with RNDADDENTROPY, then RNDRESEEDCRNG, on one fd of the device that is closed after', () => {
    const r = recorder();
    const seed = Buffer.alloc(64, 0x5a);
    new KernelClockRandom({ syscalls: r.syscalls, randomDevice: device }).reseed(seed);
    assert.deepEqual(r.calls.map((c) => [c.name, c.args[1]]), [['ioctl', RNDADDENTROPY], ['ioctl', RNDRESEEDCRNG]]);
    const fd = r.calls[0]!.args[0] as bigint;
    assert.equal(r.calls[1]!.args[0], fd, 'the same fd');
    assert.deepEqual(r.calls[0]!.snapshot[0], randPoolInfo(seed));
    assert.equal(r.calls[1]!.args[2], 0n);
    assert.throws(() => fstatSync(Number(fd)), /EBADF/, 'the device fd is closed');
    assert.ok((r.calls[0]!.args[2] as Buffer).every((x) => x === 0), 'the copy of the seed handed to the kernel is zeroed after');
    assert.deepEqual(seed, Buffer.alloc(64, 0x5a), 'the caller\'s buffer is left alone');
  });

  it('reseed explains ENODATA (CRNG never initialised) and still closes the fd', () => {
    const r = recorder((_n, args) => (args[1] === RNDRESEEDCRNG ? new Error('No data available') : undefined));
    assert.throws(() => new KernelClockRandom({ syscalls: r.syscalls, randomDevice: device }).reseed(Buffer.alloc(16, 1)), (e: unknown) =>
      isCellaError(e, 'E_AGENT_RANDOM') && /not initialised yet; a seed of 32 bytes or more/.test(e.message) && e.details.step === 'RNDRESEEDCRNG');
    assert.throws(() => fstatSync(Number(r.calls[0]!.args[0])), /EBADF/);
  });

  it('reseed names the failing step, and the device when it cannot be opened', () => {
    const r = recorder(() => new Error('Inappropriate ioctl for device'));
    assert.throws(() => new KernelClockRandom({ syscalls: r.syscalls, randomDevice: device }).reseed(Buffer.alloc(16, 1)), (e: unknown) =>
      isCellaError(e, 'E_AGENT_RANDOM') && e.message.includes('(RNDADDENTROPY)'));
    assert.equal(r.calls.length, 1, 'no reseed after a failed add');
    const missing = join(dir, 'nope');
    assert.throws(() => new KernelClockRandom({ syscalls: recorder().syscalls, randomDevice: missing }).reseed(Buffer.alloc(16, 1)), (e: unknown) =>
      isCellaError(e, 'E_AGENT_RANDOM') && e.details.file === missing);
  });
});
