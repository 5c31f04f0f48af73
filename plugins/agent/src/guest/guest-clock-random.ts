// SPDX-License-Identifier: Apache-2.0
import { closeSync, constants, openSync } from 'node:fs';
import { nativeSyscalls, type NativeSyscalls } from '@cella/core/tty';
import { AgentErrors } from '../agent-errors';

/*
 * The guest's wall clock and kernel CRNG, set right after the VM was restored from a saved one (SetGuestDateTime,
 * ReseedRandomDev). Raw syscalls through core's native addons (syscall-napi, buffer2address: in the guest they
 * resolve from /cella/node_modules beside the bundled agent), as core/src/tty does for ptys.
 */

/** _IOC of asm-generic/ioctl.h (x86_64 and arm64): dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7. */
export function ioc(dir: number, type: string, nr: number, size: number): bigint {
  return (BigInt(dir) << 30n) | (BigInt(size) << 16n) | (BigInt(type.charCodeAt(0)) << 8n) | BigInt(nr);
}
const IOC_NONE = 0;
const IOC_WRITE = 1;

/** linux/random.h `_IOW('R', 0x03, int [2])`: add bytes to the input pool and credit entropy bits. */
export const RNDADDENTROPY = ioc(IOC_WRITE, 'R', 0x03, 8);
/** linux/random.h `_IO('R', 0x07)`: reseed the CRNG from the input pool now (ENODATA while it is not ready). */
export const RNDRESEEDCRNG = ioc(IOC_NONE, 'R', 0x07, 0);
/** linux/time.h. */
const CLOCK_REALTIME = 0n;

/** What the agent does with the two calls (tests give a recording stand-in: never the host's clock). */
export interface GuestClockRandom {
  /** clock_settime(CLOCK_REALTIME) to `sec` seconds and `usec` microseconds since the epoch. */
  setTime(sec: number, usec: number): void;
  /** Mixes `seed` into the kernel's input pool crediting 8 bits a byte, then reseeds the CRNG at once. */
  reseed(seed: Buffer): void;
}

/** struct timespec of the LP64 ABIs: int64 tv_sec, int64 tv_nsec (little-endian on x86_64 and arm64). */
export function timespec(sec: number, usec: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(BigInt(sec), 0);
  b.writeBigInt64LE(BigInt(usec) * 1000n, 8);
  return b;
}

/** struct rand_pool_info: int entropy_count (bits), int buf_size (bytes), then the bytes. */
export function randPoolInfo(seed: Buffer): Buffer {
  const b = Buffer.alloc(8 + seed.length);
  b.writeInt32LE(seed.length * 8, 0);
  b.writeInt32LE(seed.length, 4);
  seed.copy(b, 8);
  return b;
}

export interface KernelClockRandomOptions {
  /** Default: core's native addons, loaded at the first call. */
  syscalls?: () => Pick<NativeSyscalls, 'sync'>;
  /** Default `/dev/urandom` (RNDADDENTROPY and RNDRESEEDCRNG act on the same pool through either device). */
  randomDevice?: string;
}

/** The real one: the guest kernel, through raw syscalls. Needs CAP_SYS_TIME and CAP_SYS_ADMIN (the agent is root). */
export class KernelClockRandom implements GuestClockRandom {
  private readonly syscalls: () => Pick<NativeSyscalls, 'sync'>;
  private readonly device: string;

  constructor(options: KernelClockRandomOptions = {}) {
    this.syscalls = options.syscalls ?? nativeSyscalls;
    this.device = options.randomDevice ?? '/dev/urandom';
  }

  setTime(sec: number, usec: number): void {
    try {
      this.syscalls().sync('clock_settime', CLOCK_REALTIME, timespec(sec, usec));
    } catch (cause) {
      throw AgentErrors.AGENT_CLOCK.create('The guest clock could not be set', { cause, details: { sec, usec } });
    }
  }

  reseed(seed: Buffer): void {
    let fd: number;
    try {
      fd = openSync(this.device, constants.O_WRONLY);
    } catch (cause) {
      throw AgentErrors.AGENT_RANDOM.create('The random device could not be opened', { cause, details: { file: this.device } });
    }
    const info = randPoolInfo(seed);
    try {
      this.ioctl(fd, RNDADDENTROPY, info, 'RNDADDENTROPY');
      this.ioctl(fd, RNDRESEEDCRNG, 0n, 'RNDRESEEDCRNG');
    } finally {
      // The copy of the seed does not outlive the call.
      info.fill(0);
      closeSync(fd);
    }
  }

  private ioctl(fd: number, request: bigint, arg: Buffer | bigint, step: string): void {
    try {
      this.syscalls().sync('ioctl', BigInt(fd), request, arg);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      // RNDRESEEDCRNG answers ENODATA while the CRNG has never been fully seeded: the seed stays in the input pool.
      // The remedy goes in the message: only the message reaches the host.
      const message = /no data available/i.test(reason)
        ? 'The guest CRNG is not initialised yet; a seed of 32 bytes or more credits enough entropy to initialise it'
        : `The guest random pool could not be reseeded (${step})`;
      throw AgentErrors.AGENT_RANDOM.create(message, { cause, details: { step, file: this.device, reason } });
    }
  }
}
