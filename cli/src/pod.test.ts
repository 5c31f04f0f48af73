// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { podMembership } from './pod';

describe('podMembership (CRI annotations: which VM a container runs in)', () => {
  const file = '/b/config.json';

  it('a pod container joins the sandbox named by containerd\'s or CRI-O\'s annotations', () => {
    assert.deepEqual(podMembership({ 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'sb1' }, 'c1', file),
      { sandboxId: 'sb1', annotation: 'io.kubernetes.cri.sandbox-id' });
    assert.deepEqual(podMembership({ 'io.kubernetes.cri-o.ContainerType': 'container', 'io.kubernetes.cri-o.SandboxID': 'sb2' }, 'c2', file),
      { sandboxId: 'sb2', annotation: 'io.kubernetes.cri-o.SandboxID' });
  });

  it('a pod sandbox, or a container without CRI annotations, gets a VM of its own', () => {
    assert.equal(podMembership(undefined, 'c1', file), undefined);
    assert.equal(podMembership({ other: 'x', 'io.kubernetes.cri.sandbox-id': 'sb1' }, 'c1', file), undefined);
    assert.equal(podMembership({ 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'sb1' }, 'sb1', file), undefined);
    assert.equal(podMembership({ 'io.kubernetes.cri-o.ContainerType': 'sandbox', 'io.kubernetes.cri-o.SandboxID': 'sb1' }, 'sb1', file), undefined);
  });

  it('refuses a member without a sandbox id, one naming itself, and an unknown type, naming the annotation and the file', () => {
    const cases: Array<[Record<string, string>, RegExp, string]> = [
      [{ 'io.kubernetes.cri.container-type': 'container' }, /io\.kubernetes\.cri\.sandbox-id is missing/, 'io.kubernetes.cri.sandbox-id'],
      [{ 'io.kubernetes.cri-o.ContainerType': 'container', 'io.kubernetes.cri-o.SandboxID': '' }, /io\.kubernetes\.cri-o\.SandboxID is missing/, 'io.kubernetes.cri-o.SandboxID'],
      [{ 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'c1' }, /names the container itself \(c1\)/, 'io.kubernetes.cri.sandbox-id'],
      [{ 'io.kubernetes.cri.container-type': 'podsandbox' }, /io\.kubernetes\.cri\.container-type is "podsandbox": expected "sandbox" or "container"/, 'io.kubernetes.cri.container-type'],
    ];
    for (const [annotations, message, annotation] of cases) {
      assert.throws(() => podMembership(annotations, 'c1', file), (err: Error & { details?: Record<string, unknown> }) => {
        assert.match(err.message, message);
        assert.equal(err.details?.annotation, annotation);
        assert.equal(err.details?.file, file);
        return true;
      });
    }
  });
});
