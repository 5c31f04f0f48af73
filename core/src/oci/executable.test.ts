// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '../errors/cella-error';
import { checkExecutable } from './executable';
import type { OciSpec } from './spec';

const PATH = 'PATH=/usr/local/bin:/usr/bin:/bin';

/** runc's create-time lookup of the process's executable, on a rootfs folder (symlinks resolved inside it). */
describe('checkExecutable', () => {
  let root: string;
  const spec = (args: string[], more: Partial<OciSpec> = {}, env = [PATH]): OciSpec =>
    ({ ociVersion: '1.0.2', process: { args, cwd: '/work', env, user: { uid: 0, gid: 0 } }, root: { path: 'rootfs' }, ...more } as OciSpec);
  const refused = (text: string) => (e: unknown): boolean => isCellaError(e, 'E_OCI_EXECUTABLE') && e.message.endsWith(text) && e.details?.field === 'process.args[0]';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cella-exe-'));
    for (const d of ['bin', 'usr/bin', 'etc', 'work', 'opt/app']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'bin/busybox'), '');
    chmodSync(join(root, 'bin/busybox'), 0o755);
    symlinkSync('busybox', join(root, 'bin/sh'));
    // Absolute link: resolved inside the rootfs, never on the host (the host's /usr/bin/env must not count).
    symlinkSync('/bin/busybox', join(root, 'usr/bin/env'));
    symlinkSync('/nowhere/tool', join(root, 'usr/bin/dangling'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
    writeFileSync(join(root, 'work/run.sh'), '');
    chmodSync(join(root, 'work/run.sh'), 0o755);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('accepts a command found on PATH, through relative and absolute symlinks, and paths relative to cwd', async () => {
    for (const args of [['sh', '-c', 'true'], ['env'], ['/bin/sh'], ['/usr/bin/env'], ['./run.sh'], ['../bin/busybox']]) {
      await checkExecutable(spec(args), root);
    }
  });

  it('refuses with runc\'s texts: not on PATH, a missing path, a file that is not executable, a folder', async () => {
    await assert.rejects(checkExecutable(spec(['nosuch']), root), refused('exec: "nosuch": executable file not found in $PATH'));
    await assert.rejects(checkExecutable(spec(['dangling']), root), refused('exec: "dangling": executable file not found in $PATH'));
    await assert.rejects(checkExecutable(spec(['/bin/nosuch']), root), refused('exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory'));
    await assert.rejects(checkExecutable(spec(['/etc/passwd']), root), refused('exec: "/etc/passwd": permission denied'));
    await assert.rejects(checkExecutable(spec(['/etc']), root), refused('exec: "/etc": permission denied'));
    // A host path that exists on this machine but not in the rootfs.
    await assert.rejects(checkExecutable(spec(['/usr/bin/node']), root), refused('stat /usr/bin/node: no such file or directory'));
  });

  it('does not judge what it cannot see: a command on a volume, no PATH, a relative PATH entry, an empty rootfs folder', async () => {
    await checkExecutable(spec(['/opt/app/server'], { mounts: [{ destination: '/opt/app', type: 'bind', source: '/srv/app', options: ['rbind'] }] }), root);
    await checkExecutable(spec(['server'], { mounts: [{ destination: '/usr/local/bin', type: 'bind', source: '/srv/bin', options: ['rbind'] }] }), root);
    await checkExecutable(spec(['nosuch'], {}, []), root);
    await checkExecutable(spec(['nosuch'], {}, ['PATH=bin:/bin']), root);
    const empty = join(root, 'work', 'empty');
    mkdirSync(empty);
    await checkExecutable(spec(['nosuch']), empty);
    // A proc mount does not hide anything.
    await assert.rejects(checkExecutable(spec(['/proc/x'], { mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }] }), root), refused('no such file or directory'));
  });
});
