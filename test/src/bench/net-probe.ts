// SPDX-License-Identifier: Apache-2.0
import type { PodNetwork } from '../helpers/pod-network';

/**
 * What the bench measures from the peer namespace, with the tools it has: Node (TCP) and busybox (ping).
 * The container side is busybox only: `nc -ll -e` runs `dd` per connection, as a sink or a source.
 */

export interface Transfer { bytes: number; ms: number; mbps: number }
export interface PingStats { sent: number; received: number; minMs: number; avgMs: number; maxMs: number }

/** The container's listeners: a sink (`dd of=/dev/null`) on `sinkPort`, a source of `bytes` zeros on `sourcePort`. */
export function containerListeners(sinkPort: number, sourcePort: number, bytes: number): string[] {
  const blocks = Math.ceil(bytes / 65536);
  return [
    `nc -ll -p ${sinkPort} -e sh -c 'exec dd of=/dev/null bs=65536 2>/dev/null' &`,
    `nc -ll -p ${sourcePort} -e sh -c 'exec dd if=/dev/zero bs=65536 count=${blocks} 2>/dev/null' &`,
  ];
}

/** Bytes the source listener sends (whole 64 KiB blocks). */
export const sourceBytes = (bytes: number): number => Math.ceil(bytes / 65536) * 65536;

/**
 * Node, in the peer namespace: connects, writes argv[3] bytes (64 KiB writes, obeying backpressure), half-closes,
 * and stops the clock when the container's sink has read everything and closed its end. Prints `{bytes, ms}`.
 */
const SEND = `const net = require('net');
const [host, port, total, limit] = [process.argv[1], +process.argv[2], +process.argv[3], +process.argv[4]];
const chunk = Buffer.alloc(65536); let sent = 0; let t0;
const s = net.connect(port, host, () => { t0 = process.hrtime.bigint(); pump(); });
function pump() {
  while (sent < total) {
    const n = Math.min(chunk.length, total - sent); sent += n;
    if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { s.once('drain', pump); return; }
  }
  s.end();
}
s.resume();
s.on('close', (hadError) => { if (hadError) return; process.stdout.write(JSON.stringify({ bytes: sent, ms: Number(process.hrtime.bigint() - t0) / 1e6 })); process.exit(0); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(2); });
setTimeout(() => { process.stderr.write('timed out after ' + sent + ' bytes'); process.exit(3); }, limit).unref();`;

/** Node, in the peer namespace: connects and counts bytes from the first one to the container's FIN. Prints `{bytes, ms}`. */
const RECEIVE = `const net = require('net');
const [host, port, limit] = [process.argv[1], +process.argv[2], +process.argv[3]];
let got = 0; let t0;
const s = net.connect(port, host);
s.on('data', (d) => { if (t0 === undefined) t0 = process.hrtime.bigint(); got += d.length; });
s.on('end', () => { process.stdout.write(JSON.stringify({ bytes: got, ms: t0 === undefined ? 0 : Number(process.hrtime.bigint() - t0) / 1e6 })); process.exit(0); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(2); });
setTimeout(() => { process.stderr.write('timed out after ' + got + ' bytes'); process.exit(3); }, limit).unref();`;

function transfer(r: { code: number | null; stdout: string; stderr: string }, expected: number, what: string): Transfer {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr}`);
  const { bytes, ms } = JSON.parse(r.stdout) as { bytes: number; ms: number };
  if (bytes !== expected) throw new Error(`${what} moved ${bytes} bytes, expected ${expected}`);
  return { bytes, ms, mbps: (bytes * 8) / (ms / 1000) / 1e6 };
}

/** Peer → container: `bytes` into the container's sink. */
export async function sendTo(net: PodNetwork, port: number, bytes: number, timeoutMs: number): Promise<Transfer> {
  const r = await net.inPeer(process.execPath, ['-e', SEND, net.podIp, String(port), String(bytes), String(timeoutMs)], timeoutMs + 10_000);
  return transfer(r, bytes, `sending ${bytes} bytes to ${net.podIp}:${port}`);
}

/** Container → peer: everything the container's source sends (`expected` bytes). */
export async function receiveFrom(net: PodNetwork, port: number, expected: number, timeoutMs: number): Promise<Transfer> {
  const r = await net.inPeer(process.execPath, ['-e', RECEIVE, net.podIp, String(port), String(timeoutMs)], timeoutMs + 10_000);
  return transfer(r, expected, `receiving from ${net.podIp}:${port}`);
}

/** busybox ping from the peer; its summary lines parsed. */
export async function ping(net: PodNetwork, count: number, intervalS: number): Promise<PingStats> {
  const r = await net.inPeer('busybox', ['ping', '-q', '-c', String(count), '-i', String(intervalS), '-W', '10', net.podIp], 60_000 + count * intervalS * 1000);
  const counts = /(\d+) packets transmitted, (\d+) packets received/.exec(r.stdout);
  const rtt = /min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(r.stdout);
  if (!counts || !rtt) throw new Error(`ping ${net.podIp} gave no summary (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { sent: Number(counts[1]), received: Number(counts[2]), minMs: Number(rtt[1]), avgMs: Number(rtt[2]), maxMs: Number(rtt[3]) };
}
