// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCellaError } from '@cella/core';
import { checkContainerId, isBindMount, planMounts } from './mount-plan';

describe('planMounts', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cella-vfs-plan-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('plans bind mounts (by type or by option) with ro and rbind, and passes guest-local mounts by', async () => {
    const file = path.join(dir, 'f');
    await fs.writeFile(file, '');
    const plan = await planMounts([
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/a', type: 'bind', source: dir, options: ['rbind', 'ro'] },
      { destination: '/b', source: file, options: ['bind'] },
    ]);
    assert.deepEqual(plan.map((p) => [p.field, p.index, p.isDir, p.readOnly, p.recursive]), [['mounts[1]', 1, true, true, true], ['mounts[2]', 2, false, false, false]]);
  });

  it('resolves a symlinked source to its target', async () => {
    const link = path.join(dir, 'link');
    await fs.mkdir(path.join(dir, 'real'));
    await fs.symlink(path.join(dir, 'real'), link);
    const [p] = await planMounts([{ destination: '/x', type: 'bind', source: link }]);
    assert.equal(p?.named, link);
    assert.equal(p?.source, await fs.realpath(path.join(dir, 'real')));
  });

  it('refuses a relative or dangling source and a mount type it cannot deliver', async () => {
    const dangling = path.join(dir, 'dangling');
    await fs.symlink(path.join(dir, 'nowhere'), dangling);
    for (const [m, code] of [
      [{ destination: '/x', type: 'bind', source: 'rel/dir' }, 'E_STORAGE_MOUNT_SOURCE'],
      [{ destination: '/x', type: 'bind', source: dangling }, 'E_STORAGE_MOUNT_SOURCE'],
      [{ destination: '/x', type: 'ext4', source: '/dev/sda1' }, 'E_STORAGE_UNSUPPORTED_MOUNT'],
    ] as const) {
      await assert.rejects(planMounts([m]), (e: unknown) => isCellaError(e) && e.code === code && e.details.field === 'mounts[0]');
    }
  });

  it('tells bind mounts apart', () => {
    assert.ok(isBindMount({ destination: '/x', options: ['rbind'] }));
    assert.ok(!isBindMount({ destination: '/x', type: 'tmpfs' }));
  });
});

describe('checkContainerId', () => {
  it('accepts ordinary ids and refuses separators and dot-dot', () => {
    checkContainerId('c1-abc_9.x');
    for (const bad of ['../x', 'a/b', '.', '', '-o']) assert.throws(() => checkContainerId(bad), /cannot name/);
  });
});
