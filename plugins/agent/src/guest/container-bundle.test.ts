// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { GUEST_NAMESPACE_SCHEME, type OciSpec } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { guestSpec, rootNeedsNoPivot } from './container-bundle';

const base = (): OciSpec => ({
  ociVersion: '1.1.0',
  process: { user: { uid: 0, gid: 0 }, args: ['/bin/true'], cwd: '/' },
  root: { path: '/run/cella/c1/rootfs', readonly: true },
  linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/host-ns' }, { type: 'mount' }], cgroupsPath: '/kubepods/x' },
  annotations: { a: 'b' },
});

describe('guestSpec', () => {
  it('joins a namespace of another running container of the sandbox by its init pid, in the host\'s form (core\'s scheme)', () => {
    const spec = base();
    spec.linux!.namespaces = [{ type: 'ipc', path: `${GUEST_NAMESPACE_SCHEME}pause/ns/ipc` }, { type: 'uts', path: 'cella-container:pause/ns/uts' }, { type: 'mount' }];
    const out = guestSpec(spec, 'c1', ['/run/cella/c1/rootfs'], (id) => (id === 'pause' ? 42 : undefined));
    assert.deepEqual(out.linux?.namespaces, [{ type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'uts', path: '/proc/42/ns/uts' }, { type: 'mount' }]);
  });

  it('refuses a container to join that does not run, and any other namespace path, naming the field', () => {
    const spec = base();
    spec.linux!.namespaces = [{ type: 'pid' }, { type: 'ipc', path: 'cella-container:gone/ns/ipc' }];
    assert.throws(() => guestSpec(spec, 'c1', ['/run/cella/c1/rootfs'], () => undefined),
      (e: unknown) => isCellaError(e, 'E_AGENT_STATE') && e.details.field === 'linux.namespaces[1].path');
    for (const path of ['/proc/1/ns/ipc', 'cella-container:../x/ns/ipc', 'cella-container:p/ns/bogus']) {
      spec.linux!.namespaces = [{ type: 'ipc', path }];
      assert.throws(() => guestSpec(spec, 'c1', ['/run/cella/c1/rootfs'], () => 1),
        (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID') && e.details.field === 'linux.namespaces[0].path', path);
    }
  });

  it('drops a network namespace path (the VM\'s network), sets cgroupsPath to /cella/<id> and keeps the rest', () => {
    const out = guestSpec(base(), 'c1', ['/run/cella/c1/rootfs']);
    assert.deepEqual(out.linux?.namespaces, [{ type: 'pid' }, { type: 'mount' }]);
    assert.equal(out.linux?.cgroupsPath, '/cella/c1');
    assert.deepEqual(out.annotations, { a: 'b' });
    assert.deepEqual(out.root, { path: '/run/cella/c1/rootfs', readonly: true });
  });

  it('refuses a root that is relative, escapes with .., or is not under a mounted storage', () => {
    for (const path of ['rootfs', '/run/cella/c1/rootfs/../../etc', '/srv/other']) {
      const spec = { ...base(), root: { path } };
      assert.throws(() => guestSpec(spec, 'c1', ['/run/cella/c1/rootfs']), (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'), path);
    }
    assert.throws(() => guestSpec(base(), 'c1', ['/run/cella/c1/root']), (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'));
  });

  it('refuses empty args, a relative cwd, and a terminal that is not a boolean; accepts a terminal', () => {
    const mp = ['/run/cella/c1/rootfs'];
    assert.throws(() => guestSpec({ ...base(), process: { ...base().process!, args: [] } }, 'c1', mp), (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'));
    assert.throws(() => guestSpec({ ...base(), process: { ...base().process!, cwd: 'x' } }, 'c1', mp), (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'));
    assert.throws(() => guestSpec({ ...base(), process: { ...base().process!, terminal: 1 as unknown as boolean } }, 'c1', mp),
      (e: unknown) => isCellaError(e, 'E_AGENT_SPEC_INVALID'));
    assert.equal(guestSpec({ ...base(), process: { ...base().process!, terminal: true } }, 'c1', mp).process?.terminal, true);
  });
});

describe('rootNeedsNoPivot', () => {
  it('is true for an initramfs root (rootfs or tmpfs) and false for a disk root', () => {
    assert.equal(rootNeedsNoPivot('rootfs / rootfs rw,size=491640k 0 0\nproc /proc proc rw 0 0\n'), true);
    assert.equal(rootNeedsNoPivot('none / tmpfs rw 0 0\n'), true);
    assert.equal(rootNeedsNoPivot('rootfs / rootfs rw 0 0\n/dev/vda / ext4 ro 0 0\n'), false);
    assert.equal(rootNeedsNoPivot(''), false);
  });
});
