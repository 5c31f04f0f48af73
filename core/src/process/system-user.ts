// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { ProcessErrors } from './process-errors';

const run = promisify(execFile);
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface SystemUser { name: string; uid: number; gid: number }

/** The passwd entry of `name` (numeric ids), or undefined. Reads /etc/passwd: no NSS, no network lookups. */
export async function lookupUser(name: string): Promise<SystemUser | undefined> {
  const text = await fs.readFile('/etc/passwd', 'utf8');
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The unprivileged system user `name`, made when missing (`useradd --system`, no home, no login shell, its own
 * group), as `scripts/setup-host.sh` makes it. Idempotent and safe to race: a concurrent maker wins, and the
 * entry is read again. Throws E_PROCESS_USER naming the user when it cannot be made, or when it is root.
 */
export async function ensureSystemUser(name: string): Promise<SystemUser> {
  if (!NAME.test(name)) throw ProcessErrors.PROCESS_USER.create('The user name is not a valid system user name.', { details: { user: name } });
  let user = await lookupUser(name);
  if (!user) {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name], { timeout: 30_000 });
    } catch (cause) {
      user = await lookupUser(name);
      if (!user) {
        throw ProcessErrors.PROCESS_USER.create(`The system user ${name} does not exist and could not be made.`, {
          cause, details: { user: name }, hint: 'Run scripts/setup-host.sh as root, or make the user yourself (useradd --system).',
        });
      }
    }
    user ??= await lookupUser(name);
  }
  if (!user) throw ProcessErrors.PROCESS_USER.create(`The system user ${name} was made but cannot be read back.`, { details: { user: name } });
  if (user.uid === 0 || user.gid === 0) {
    throw ProcessErrors.PROCESS_USER.create(`The user ${name} is root; an unprivileged user is needed.`, { details: { user: name, uid: user.uid, gid: user.gid } });
  }
  return user;
}
