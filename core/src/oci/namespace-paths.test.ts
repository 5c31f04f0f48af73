// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '../errors';
import { resolveNamespacePaths, withGuestNamespaces } from './namespace-paths';
import type { OciSpec } from './spec';

const spec = (namespaces: Array<{ type: string; path?: string }>): OciSpec => ({ ociVersion: '1.0.2', linux: { namespaces } });
/** This test process stands for a container of the pod (as a holder does): its namespace links are real. */
const self = `/proc/${process.pid}/ns`;
const peers = new Map([[process.pid, 'pause']]);

describe('resolveNamespacePaths (namespace paths as a VM runtime reads them)', () => {
  it('joins the namespaces of another container of the pod named by its host pid; leaves a network path and plain entries', async () => {
    const s = spec([{ type: 'pid' }, { type: 'ipc', path: `${self}/ipc` }, { type: 'network', path: '/var/run/netns/cni-1' }, { type: 'uts', path: `${self}/uts` }]);
    const joined = await resolveNamespacePaths(s, 'config.json', peers);
    assert.deepEqual(joined, [{ index: 1, type: 'ipc', containerId: 'pause' }, { index: 3, type: 'uts', containerId: 'pause' }]);
    const guest = withGuestNamespaces(s, joined);
    assert.deepEqual(guest.linux?.namespaces?.map((n) => n.path), [undefined, 'cella-container:pause/ns/ipc', '/var/run/netns/cni-1', 'cella-container:pause/ns/uts']);
    assert.equal(s.linux?.namespaces?.[1]?.path, `${self}/ipc`, 'the given spec is not changed');
  });

  it('refuses a path whose namespace is not of the entry\'s type, naming the field', async () => {
    await assert.rejects(resolveNamespacePaths(spec([{ type: 'pid' }, { type: 'ipc', path: `${self}/uts` }]), 'b/config.json', peers), (e: unknown) =>
      isCellaError(e, 'E_BUNDLE_INVALID') && e.details.field === 'linux.namespaces[1].path' && e.details.kind === 'uts' && /type is ipc/.test(e.message));
    await assert.rejects(resolveNamespacePaths(spec([{ type: 'network', path: `${self}/ipc` }]), 'b/config.json', peers), (e: unknown) =>
      isCellaError(e, 'E_BUNDLE_INVALID') && e.details.field === 'linux.namespaces[0].path');
  });

  it('refuses the namespace of a host process that is no container of the pod, a file that is no namespace, and a missing path', async () => {
    for (const path of [`${self}/ipc`, '/etc/hostname', '/nonexistent/ns/ipc']) {
      await assert.rejects(resolveNamespacePaths(spec([{ type: 'ipc', path }]), 'b/config.json', new Map()), (e: unknown) =>
        isCellaError(e, 'E_BUNDLE_INVALID') && e.details.field === 'linux.namespaces[0].path' && e.details.file === 'b/config.json', path);
    }
  });
});
