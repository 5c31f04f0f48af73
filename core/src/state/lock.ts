// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { E } from '../errors/codes';
import { isAlive, processStartTime, sleep } from './proc';

export interface Lock { release(): Promise<void> }

/**
 * An exclusive lock file holding the owner's pid and start time. A lock whose owner died is taken over, so a
 * crashed command never wedges a sandbox. Waits up to `timeoutMs` for a live owner.
 */
export async function acquireLock(path: string, timeoutMs = 30_000): Promise<Lock> {
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await fs.open(path, 'wx', 0o600);
      await fh.writeFile(me);
      await fh.close();
      return {
        async release(): Promise<void> {
          const cur = await fs.readFile(path, 'utf8').catch(() => '');
          if (cur === me) await fs.rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await fs.readFile(path, 'utf8').catch(() => '');
    const [pidText, start] = owner.split(' ');
    const pid = Number.parseInt(pidText ?? '', 10);
    if (owner !== '' && (!Number.isInteger(pid) || !isAlive(pid, start || undefined))) {
      await fs.rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw E.STATE_LOCKED.create('The sandbox is locked by another command', { details: { lock: path, owner: pidText } });
    }
    await sleep(50);
  }
}
