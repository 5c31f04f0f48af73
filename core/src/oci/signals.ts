// SPDX-License-Identifier: Apache-2.0
import { OciErrors } from './oci-errors';

/**
 * The signal names runc 1.1 knows (golang.org/x/sys/unix `SignalNum` on Linux x86-64): the 31 classic
 * signals. runc does not know aliases such as SIGIOT, SIGPOLL or SIGCLD, nor SIGRTMIN+n; those are given
 * as numbers.
 */
export const SIGNAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['SIGHUP', 1], ['SIGINT', 2], ['SIGQUIT', 3], ['SIGILL', 4], ['SIGTRAP', 5], ['SIGABRT', 6], ['SIGBUS', 7],
  ['SIGFPE', 8], ['SIGKILL', 9], ['SIGUSR1', 10], ['SIGSEGV', 11], ['SIGUSR2', 12], ['SIGPIPE', 13],
  ['SIGALRM', 14], ['SIGTERM', 15], ['SIGSTKFLT', 16], ['SIGCHLD', 17], ['SIGCONT', 18], ['SIGSTOP', 19],
  ['SIGTSTP', 20], ['SIGTTIN', 21], ['SIGTTOU', 22], ['SIGURG', 23], ['SIGXCPU', 24], ['SIGXFSZ', 25],
  ['SIGVTALRM', 26], ['SIGPROF', 27], ['SIGWINCH', 28], ['SIGIO', 29], ['SIGPWR', 30], ['SIGSYS', 31],
]);

const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map([...SIGNAL_NUMBERS].map(([name, n]) => [n, name]));

/** `kill` without a signal sends SIGTERM. */
export const DEFAULT_KILL_SIGNAL = 15;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * runc's reading of `kill ID [SIGNAL]`: empty or absent → SIGTERM; a decimal integer (Go's Atoi: optional
 * sign, any value in int64, not range-checked, so 0 and 99 pass here and fail when sent); otherwise a
 * name, upper-cased, with `SIG` added when missing. Throws E_OCI_SIGNAL with runc's `unknown signal "X"`.
 */
export function parseSignal(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_KILL_SIGNAL;
  if (/^[+-]?\d+$/.test(raw)) {
    const n = BigInt(raw);
    if (n >= INT64_MIN && n <= INT64_MAX) return Number(n);
  }
  let name = goToUpper(raw);
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const n = SIGNAL_NUMBERS.get(name);
  if (n === undefined) {
    throw OciErrors.OCI_SIGNAL.create(`unknown signal ${goQuote(raw)}`, {
      details: { signal: raw },
      hint: 'Give a signal name such as TERM or SIGKILL, or a number.',
    });
  }
  return n;
}

/** The name of signal `n` for messages: `SIGKILL`, or `signal 40` for one runc has no name for (as Go prints it). */
export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `signal ${n}`;
}

/** The exit status of a process killed by signal `n` (shell, go-runc and containerd convention). */
export function exitStatusForSignal(n: number): number {
  return 128 + n;
}

/** Go's strings.ToUpper: simple (one-to-one) case mapping, so `ß` stays `ß` where JavaScript writes `SS`. */
function goToUpper(s: string): string {
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** Go's strconv.Quote (what `%q` prints). */
export function goQuote(s: string): string {
  let out = '"';
  for (const raw of s) {
    // A lone surrogate stands for bytes that were not UTF-8; Go would print them as \x escapes.
    const ch = /^[\ud800-\udfff]$/.test(raw) ? '\ufffd' : raw;
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
