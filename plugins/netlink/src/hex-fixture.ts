// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One datagram of a capture: which way it went, on which of ip's sockets, and its bytes. */
export interface CapturedDatagram { direction: 'send' | 'recv'; fd: number; bytes: Buffer }

/** The fixtures live in src/ (tsc does not copy them); tests run from dist/. */
const FIXTURES = join(__dirname, '..', 'src', 'fixtures');

/**
 * Reads `fixtures/<name>.hex` as written by fixtures/capture.sh: '#' comment lines, then blocks that start
 * with 'send <fd>' or 'recv <fd>' followed by hex lines. Test support only.
 */
export function loadHexFixture(name: string): CapturedDatagram[] {
  const out: CapturedDatagram[] = [];
  let hex: string[] = [];
  const flush = (): void => {
    if (out.length > 0) out[out.length - 1].bytes = Buffer.from(hex.join(''), 'hex');
    hex = [];
  };
  for (const raw of readFileSync(join(FIXTURES, `${name}.hex`), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^(send|recv) (\d+)$/.exec(line);
    if (head) {
      flush();
      out.push({ direction: head[1] as 'send' | 'recv', fd: Number(head[2]), bytes: Buffer.alloc(0) });
    } else if (/^[0-9a-f]+$/.test(line) && out.length > 0) {
      hex.push(line);
    } else {
      throw new Error(`${name}.hex: unexpected line '${line}'`);
    }
  }
  flush();
  return out;
}

/** The datagrams ip sent (or received) on one socket, in order. */
export function datagrams(capture: readonly CapturedDatagram[], direction: 'send' | 'recv', fd: number): Buffer[] {
  return capture.filter((d) => d.direction === direction && d.fd === fd).map((d) => d.bytes);
}
