// SPDX-License-Identifier: Apache-2.0
import { closeSync, constants, openSync } from 'node:fs';
import { CellaError } from '../errors/cella-error';
import { nativeSyscalls } from './native-syscalls';
import { TtyErrors } from './tty-errors';

/** ioctl requests (asm-generic/ioctls.h; the same on x86_64 and arm64). */
const TCGETS = 0x5401n;
const TCSETS = 0x5402n;
const TIOCGWINSZ = 0x5413n;
const TIOCSWINSZ = 0x5414n;
/** _IOR('T', 0x30, unsigned int) */
const TIOCGPTN = 0x80045430n;
/** _IOW('T', 0x31, int) */
const TIOCSPTLCK = 0x40045431n;

/** struct termios as the kernel takes it (TCGETS): four tcflag_t, c_line, c_cc[19]. */
const TERMIOS_SIZE = 36;
const VTIME = 5;
const VMIN = 6;

export interface WindowSize { rows: number; columns: number }

export interface Pty {
  /** The master fd (close-on-exec). */
  master: number;
  /** The slave fd, opened O_NOCTTY so that opening it never makes it our controlling terminal. */
  slave: number;
  /** `/dev/pts/N`. */
  slavePath: string;
}

/** ioctl(fd, request, arg) on the calling thread; the error names the step. */
function ioctl(fd: number, request: bigint, arg: Buffer | bigint, step: string): void {
  try {
    nativeSyscalls().sync('ioctl', BigInt(fd), request, arg);
  } catch (cause) {
    throw TtyErrors.TTY_PTY.create('A terminal operation failed', { cause, details: { step, fd, reason: (cause as Error).message } });
  }
}

/**
 * Opens a new pty pair: /dev/ptmx, unlock (TIOCSPTLCK 0), its number (TIOCGPTN), then /dev/pts/N. Both fds are
 * close-on-exec and opened O_NOCTTY. On failure nothing stays open.
 */
export function openPty(): Pty {
  nativeSyscalls();
  const flags = constants.O_RDWR | constants.O_NOCTTY;
  let master: number;
  try {
    master = openSync('/dev/ptmx', flags);
  } catch (cause) {
    throw TtyErrors.TTY_PTY.create('A pty could not be opened', { cause, details: { file: '/dev/ptmx' }, hint: 'Check that devpts is mounted on /dev/pts' });
  }
  try {
    ioctl(master, TIOCSPTLCK, Buffer.alloc(4), 'TIOCSPTLCK');
    const n = Buffer.alloc(4);
    ioctl(master, TIOCGPTN, n, 'TIOCGPTN');
    const slavePath = `/dev/pts/${n.readUInt32LE(0)}`;
    const slave = openSync(slavePath, flags);
    return { master, slave, slavePath };
  } catch (err) {
    closeSync(master);
    throw err instanceof CellaError ? err : TtyErrors.TTY_PTY.create('The pty slave could not be opened', { cause: err });
  }
}

/** TIOCSWINSZ: on a master or a slave (the pair shares one size); the foreground process group gets SIGWINCH. */
export function setWindowSize(fd: number, size: WindowSize): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(clamp(size.rows), 0);
  ws.writeUInt16LE(clamp(size.columns), 2);
  ioctl(fd, TIOCSWINSZ, ws, 'TIOCSWINSZ');
}

/** TIOCGWINSZ. */
export function getWindowSize(fd: number): WindowSize {
  const ws = Buffer.alloc(8);
  ioctl(fd, TIOCGWINSZ, ws, 'TIOCGWINSZ');
  return { rows: ws.readUInt16LE(0), columns: ws.readUInt16LE(2) };
}

/**
 * cfmakeraw(3) on a terminal: no echo, no line editing, no signals from keys, no output processing. The
 * host end of a relay is made raw so the guest's terminal alone does the terminal work (echo, ^C, CR/NL).
 */
export function makeRaw(fd: number): void {
  const t = Buffer.alloc(TERMIOS_SIZE);
  ioctl(fd, TCGETS, t, 'TCGETS');
  const iflag = t.readUInt32LE(0) & ~(0o1 | 0o2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | 0o2000); // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
  const oflag = t.readUInt32LE(4) & ~0o1; // OPOST
  const cflag = (t.readUInt32LE(8) & ~(0o60 | 0o400)) | 0o60; // CSIZE, PARENB off; CS8
  const lflag = t.readUInt32LE(12) & ~(0o10 | 0o100 | 0o2 | 0o1 | 0o100000); // ECHO ECHONL ICANON ISIG IEXTEN
  t.writeUInt32LE(iflag >>> 0, 0);
  t.writeUInt32LE(oflag >>> 0, 4);
  t.writeUInt32LE(cflag >>> 0, 8);
  t.writeUInt32LE(lflag >>> 0, 12);
  t[17 + VMIN] = 1;
  t[17 + VTIME] = 0;
  ioctl(fd, TCSETS, t, 'TCSETS');
}

function clamp(n: number): number {
  return Number.isInteger(n) && n > 0 ? Math.min(n, 0xffff) : 0;
}
