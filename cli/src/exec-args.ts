// SPDX-License-Identifier: Apache-2.0
import { E } from '@cella/core';
import { checkPreserveFds } from './preserve-fds';
import type { GlobalOptions } from './runtime';

/** `cella exec` as runc takes it: flags, then the container id, then the command (its own flags untouched). */
export interface ExecArgs {
  globals: GlobalOptions;
  id: string;
  args: string[];
  process?: string;
  pidFile?: string;
  consoleSocket?: string;
  cwd?: string;
  env: string[];
  user?: string;
  tty: boolean;
  detach: boolean;
  /** Must be 0: checked by checkPreserveFds. */
  preserveFds?: string;
}

const WITH_VALUE: Record<string, keyof ExecArgs | 'global' | 'ignored'> = {
  '--process': 'process', '-p': 'process', '--pid-file': 'pidFile', '--console-socket': 'consoleSocket',
  '--cwd': 'cwd', '--env': 'env', '-e': 'env', '--user': 'user', '-u': 'user',
  '--process-label': 'ignored', '--apparmor': 'ignored', '--cap': 'ignored', '-c': 'ignored', '--preserve-fds': 'preserveFds',
  '--root': 'global', '--log': 'global', '--log-format': 'global', '--config': 'global',
};
const BOOLEAN: Record<string, 'tty' | 'detach' | 'debug' | 'ignored'> = {
  '--tty': 'tty', '-t': 'tty', '--detach': 'detach', '-d': 'detach', '--debug': 'debug',
  '--no-new-privs': 'ignored', '--ignore-paused': 'ignored', '--systemd-cgroup': 'ignored',
};

export function parseExecArgs(argv: string[]): ExecArgs {
  const r: ExecArgs = { globals: { logFormat: 'text' }, id: '', args: [], env: [], tty: false, detach: false };
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [name, inline] = argv[i]!.includes('=') ? [argv[i]!.slice(0, argv[i]!.indexOf('=')), argv[i]!.slice(argv[i]!.indexOf('=') + 1)] : [argv[i]!, undefined];
    if (name === '--') { i++; break; }
    const b = BOOLEAN[name];
    if (b) {
      if (b === 'tty') r.tty = inline === undefined || inline === 'true';
      else if (b === 'detach') r.detach = inline === undefined || inline === 'true';
      else if (b === 'debug') r.globals.debug = true;
      continue;
    }
    const target = WITH_VALUE[name];
    if (!target) throw E.INVALID_ARGUMENT.create(`flag provided but not defined: ${name}`, { details: { flag: name } });
    const value = inline ?? argv[++i];
    if (value === undefined) throw E.INVALID_ARGUMENT.create(`flag needs an argument: ${name}`, { details: { flag: name } });
    if (target === 'global') {
      const key = ({ '--root': 'root', '--log': 'log', '--log-format': 'logFormat', '--config': 'config' } as const)[name as '--root'];
      (r.globals as Record<string, unknown>)[key] = value;
    } else if (target === 'env') r.env.push(value);
    else if (target !== 'ignored') (r as unknown as Record<string, unknown>)[target] = value;
  }
  r.id = argv[i] ?? '';
  r.args = argv.slice(i + 1);
  if (!r.id) throw E.INVALID_ARGUMENT.create('exec needs a container id', { hint: 'cella exec [flags] ID [COMMAND [ARG…]]' });
  checkPreserveFds(r.preserveFds);
  if (!r.process && r.args.length === 0) throw E.INVALID_ARGUMENT.create('exec needs a command or --process', { details: { id: r.id } });
  return r;
}
