// SPDX-License-Identifier: Apache-2.0
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ProcessErrors } from './process-errors';

/** How a host process the runtime starts is confined (docs/adr/0012). */
export interface Confinement {
  /**
   * Run as this unprivileged user: real, effective and saved ids, only `groups` as supplementary groups, no
   * capability in any set (effective, permitted, inheritable, ambient, bounding) and no_new_privs.
   * Unset: the child keeps the caller's ids (root) — virtiofsd, which needs them to serve the guest's files.
   */
  user?: { uid: number; gid: number; groups: readonly number[] };
}

const SEARCH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
let setprivPath: string | undefined;

/** util-linux's setpriv, from PATH or the usual folders; E_PROCESS_USER when it is missing. */
function setpriv(): string {
  if (setprivPath) return setprivPath;
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...SEARCH]) {
    const file = join(dir, 'setpriv');
    try {
      accessSync(file, constants.X_OK);
      return (setprivPath = file);
    } catch {
      // next folder
    }
  }
  throw ProcessErrors.PROCESS_USER.create('setpriv (util-linux) is needed to start host processes confined, and was not found.', {
    details: { searched: SEARCH }, hint: 'Install util-linux (Debian: the util-linux package).',
  });
}

/**
 * The command that runs `binary args` confined, in one exec of setpriv (the child's pid is the binary's, as the
 * journal needs): it gets SIGKILL when the thread that spawned it dies (PR_SET_PDEATHSIG, which setpriv sets
 * after it changed the ids, since a uid change clears it), so no VM or file server outlives the process that
 * stands for its sandbox; and with `user`, the ids and capabilities above.
 * Node spawns from its main thread, which lives as long as the process.
 */
export function confinedCommand(binary: string, args: readonly string[], c: Confinement = {}): { file: string; args: string[] } {
  const opts: string[] = [];
  if (c.user) {
    const { uid, gid, groups } = c.user;
    if (uid === 0 || gid === 0) {
      throw ProcessErrors.PROCESS_USER.create('A confined process must not run as root.', { details: { uid, gid } });
    }
    opts.push(`--reuid=${uid}`, `--regid=${gid}`, groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups',
      '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--nnp');
  }
  opts.push('--pdeathsig=KILL');
  return { file: setpriv(), args: [...opts, '--', binary, ...args] };
}
