// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isCellaError } from '@cella/core';
import { parseLdd, sharedLibraries } from './shared-libs';

const LDD = `\tlinux-vdso.so.1 (0x00007ffd0c5f6000)
\tlibsystemd.so.0 => /lib/x86_64-linux-gnu/libsystemd.so.0 (0x00007fb218aee000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fb2188d4000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fb218c4c000)
\tlibgpg-error.so.0 => /lib/x86_64-linux-gnu/libgpg-error.so.0 (0x00007fb218652000)
`;

describe('shared-libs', () => {
  it('lists the libraries and the loader ldd names, without the vDSO', () => {
    assert.deepEqual(parseLdd(LDD), [
      '/lib/x86_64-linux-gnu/libsystemd.so.0',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
      '/lib/x86_64-linux-gnu/libgpg-error.so.0',
    ]);
  });

  it('refuses a binary whose library is not found on the host', () => {
    assert.throws(() => parseLdd('\tlibyajl.so.2 => not found\n', '/usr/bin/crun'),
      (err: unknown) => isCellaError(err, 'E_IMAGE_INPUT') && err.details.library === 'libyajl.so.2');
  });

  it('finds the loader and libc for the host crun, and nothing for static busybox', async () => {
    const crun = await sharedLibraries('/usr/bin/crun');
    assert.ok(crun.includes('/lib64/ld-linux-x86-64.so.2'), crun.join(' '));
    assert.ok(crun.some((p) => p.endsWith('/libc.so.6')));
    for (const p of crun) assert.ok(existsSync(p), p);
    assert.deepEqual(await sharedLibraries('/bin/busybox'), []);
  });
});
