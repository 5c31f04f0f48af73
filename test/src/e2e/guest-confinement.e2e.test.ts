// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { CELLA, makeBundle } from '../helpers/cella';
import { differentialRoots, runtime } from '../helpers/oci-runtime';

/** A seccomp profile that allows everything but mkdir/mkdirat, which fail with EPERM (errno 1). */
const denyMkdir = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
};

/** Capability bit numbers (linux/capability.h) of the ones these tests use. */
const CAP = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_AUDIT_WRITE: 29 } as const;
const mask = (caps: Array<keyof typeof CAP>): string => caps.reduce((m, c) => m | (1n << BigInt(CAP[c])), 0n).toString(16).padStart(16, '0');

function withCaps(caps: Array<keyof typeof CAP>): (spec: Record<string, unknown>) => void {
  return (spec) => {
    const p = spec.process as Record<string, unknown>;
    p.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
  };
}

/**
 * Issue #9 ("inside the guest"): the spec's seccomp profile and capabilities are applied to the container in the
 * VM (by the guest's crun). Each case runs the same bundle under runc on the host and under cella in a VM: the
 * container must see the same, and what it sees must be what the spec asks.
 */
describe('seccomp and capabilities of the spec are applied inside the guest, as runc applies them (real VM; runc 1.1.5 alongside)', function () {
  this.timeout(180_000);
  const roots = differentialRoots();
  const both = (bundle: string, id: string): { cella: string; runc: string } => {
    const c = runtime(process.execPath, [CELLA], roots.root)(['run', '--bundle', bundle, id]);
    const r = runtime('runc', [], roots.runcRoot)(['run', '--bundle', bundle, id]);
    assert.equal(c.code, r.code, `cella: ${c.stderr}\nrunc: ${r.stderr}`);
    return { cella: c.stdout, runc: r.stdout };
  };

  it('a syscall the seccomp profile denies fails with its errno in the container; without the profile it works', async () => {
    const script = 'mkdir /dev/shm/d 2>/dev/null; echo "mkdir=$?"; echo x > /dev/shm/f && echo "write=$?"';
    const denied = both(await makeBundle(['sh', '-c', script], (s) => { (s.linux as Record<string, unknown>).seccomp = denyMkdir; }), 'sc1');
    assert.equal(denied.cella, 'mkdir=1\nwrite=0\n');
    assert.equal(denied.cella, denied.runc);
    const allowed = both(await makeBundle(['sh', '-c', script]), 'sc2');
    assert.equal(allowed.cella, 'mkdir=0\nwrite=0\n');
  });

  it('a dropped capability is absent from CapEff and CapBnd and its operation fails; a kept one is present and works', async () => {
    const script = 'grep -E "^Cap(Eff|Bnd):" /proc/self/status; echo x > /dev/shm/f; chown 1 /dev/shm/f 2>/dev/null && echo chown=ok || echo chown=denied';
    const dropped: Array<keyof typeof CAP> = ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE'];
    const kept: Array<keyof typeof CAP> = ['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_CHOWN'];
    const without = both(await makeBundle(['sh', '-c', script], withCaps(dropped)), 'cap1');
    assert.equal(without.cella, `CapEff:\t${mask(dropped)}\nCapBnd:\t${mask(dropped)}\nchown=denied\n`);
    assert.equal(without.cella, without.runc);
    const withAll = both(await makeBundle(['sh', '-c', script], withCaps(kept)), 'cap2');
    assert.equal(withAll.cella, `CapEff:\t${mask(kept)}\nCapBnd:\t${mask(kept)}\nchown=ok\n`);
    assert.equal(withAll.cella, withAll.runc);
  });
});
