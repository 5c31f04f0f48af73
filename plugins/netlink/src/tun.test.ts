// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { openMacvtapQueues } from './macvtap-queues';
import { closeFds, openTapQueues } from './tun';

const invalid = (field: string) => (err: unknown): boolean => isCellaError(err, 'E_NETWORK_ARGUMENT') && err.details.field === field;

describe('tap queue arguments', () => {
  it('refuses tap names the kernel would refuse or rewrite', () => {
    for (const name of ['', 'a/b', 'tap 0', 'tap\t0', 'x'.repeat(16), '.', 'tap%d', 'é'.repeat(8)]) {
      assert.throws(() => openTapQueues(name, 1), invalid('tap'), JSON.stringify(name));
    }
  });

  it('refuses queue counts outside 1..256 and ifindexes that are not positive integers', () => {
    for (const queues of [0, -1, 1.5, 257, Number.NaN]) assert.throws(() => openTapQueues('tap0', queues), invalid('queues'), String(queues));
    for (const ifindex of [0, -3, 2.5]) assert.throws(() => openMacvtapQueues(ifindex, 1), invalid('ifindex'), String(ifindex));
    assert.throws(() => openMacvtapQueues(7, 0), invalid('queues'));
  });

  it('says the native modules must be loaded first when they are not (fresh process)', () => {
    const tun = join(__dirname, 'tun.js');
    const script = `try { require(${JSON.stringify(tun)}).openTapQueues('tap0', 1); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); }`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { code: string; message: string; hint: string };
    assert.equal(out.code, 'E_NETWORK_NETLINK_SOCKET');
    assert.match(out.message, /not loaded/);
    assert.match(out.hint, /loadNetlinkModules/);
  });

  it('closes what it can and ignores fds that are not open', () => {
    assert.doesNotThrow(() => closeFds([-1, 999_999]));
  });
});
