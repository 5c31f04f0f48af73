// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core';
import { buildVirtiofsdArgs, type VirtiofsdArgsOptions } from './virtiofsd-binary';
import { ownershipArgs, userNamespaceMap } from './virtiofsd-ownership';

const base: VirtiofsdArgsOptions = {
  socketPath: '/s', sharedDir: '/d', cache: 'auto', threadPoolSize: 1, xattr: false, sandbox: 'namespace',
  ownership: 'unprivileged', unprivilegedId: 2147483646, extraArgs: ['--extra'],
};

describe('ownershipArgs', () => {
  it('squashes every guest id onto virtiofsd\'s root, shows host root as root and drops fowner, fsetid, mknod', () => {
    assert.deepEqual(ownershipArgs('rust', 'unprivileged', 5000), [
      '--translate-uid', 'squash-guest:0:0:4294967295', '--translate-gid', 'squash-guest:0:0:4294967295',
      '--translate-uid', 'host:5000:0:1', '--translate-gid', 'host:5000:0:1', '--modcaps=-fowner:-fsetid:-mknod:-setfcap:-setuid',
    ]);
    assert.deepEqual(ownershipArgs('rust', 'passthrough', 5000), []);
    assert.deepEqual(ownershipArgs('c', 'passthrough', 5000), []);
  });

  it('puts the ownership arguments before extra_args on the Rust command line', () => {
    const args = buildVirtiofsdArgs('rust', base);
    assert.ok(args.indexOf('--translate-uid') > args.indexOf('--thread-pool-size'));
    assert.equal(args.at(-1), '--extra');
  });

  it('refuses unprivileged ownership with QEMU\'s C virtiofsd, naming the option', () => {
    assert.throws(() => buildVirtiofsdArgs('c', base), (e: unknown) => isCellaError(e, 'E_STORAGE_VIRTIOFSD_OPTION')
      && e.details.option === 'ownership' && e.details.value === 'unprivileged');
  });
});

describe('userNamespaceMap', () => {
  it('swaps 0 and the unprivileged id and maps every other id to itself', () => {
    assert.equal(userNamespaceMap(2147483646), '0 2147483646 1\n2147483646 0 1\n1 1 2147483645\n2147483647 2147483647 2147483648\n');
    assert.equal(userNamespaceMap(1), '0 1 1\n1 0 1\n2 2 4294967293\n');
  });

  it('refuses an id that is root, negative, fractional or past the last mappable one, naming unprivileged_id', () => {
    for (const bad of [0, -1, 1.5, 4294967294]) {
      assert.throws(() => userNamespaceMap(bad), (e: unknown) => isCellaError(e, 'E_STORAGE_VIRTIOFSD_OPTION') && e.details.option === 'unprivileged_id');
    }
  });
});
