// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { defaultSpec } from './default-spec';
import { guestOciVersion, isAcceptedOciVersion } from './oci-version';
import { validateProcess, validateSpec } from './spec-validator';

const FILE = '/bundles/b1/config.json';

/** runc's default spec with one change. */
function changed(change: (s: Record<string, any>) => void): unknown {
  const s = defaultSpec() as Record<string, any>;
  change(s);
  return s;
}

function refuses(spec: unknown, field: string, text: RegExp): void {
  assert.throws(() => validateSpec(spec, FILE), (e: Error & { code: string; details: Record<string, unknown> }) => {
    assert.equal(e.code, 'E_BUNDLE_INVALID');
    assert.equal(e.details.field, field);
    assert.ok(e.message.includes(field), e.message);
    assert.match(e.message, text);
    return true;
  }, field);
}

const without = (s: Record<string, any>, type: string): void => {
  s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== type);
};

describe('validateSpec (the whole spec, before any VM boots)', () => {
  it('accepts runc\'s default spec and every runtime-spec version from 1.0.0 to 1.3.x', () => {
    for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.0', '1.2.1', '1.3.0', '1.3.12-rc.1']) validateSpec(changed((s) => { s.ociVersion = v; }), FILE);
  });

  it('refuses an unknown version, naming ociVersion', () => {
    for (const v of ['2.0.0', '1.4.0', '0.9.0', '1.0', 'x', '1.1.0 ']) refuses(changed((s) => { s.ociVersion = v; }), 'ociVersion', /1\.0\.0 to 1\.3\.x/);
  });

  it('hands the guest\'s crun a version it knows: 1.2 and 1.3 as 1.1.0, older ones as they are', () => {
    assert.deepEqual(['1.0.2-dev', '1.1.0', '1.2.0', '1.3.0', '1.3.5-dev'].map(guestOciVersion), ['1.0.2-dev', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    assert.equal(isAcceptedOciVersion('1.10.0'), false);
  });

  it('refuses a namespace type given twice', () => {
    refuses(changed((s) => { s.linux.namespaces.push({ type: 'ipc' }); }), 'linux.namespaces[5].type', /repeats linux\.namespaces\[2\]/);
  });

  it('allows a sysctl only in a namespace the spec gives the container, as runc', () => {
    validateSpec(changed((s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'd' }; }), FILE);
    refuses(changed((s) => { s.linux.sysctl = { 'kernel.foo': '1' }; }), 'linux.sysctl["kernel.foo"]', /not in a namespace of its own/);
    refuses(changed((s) => { s.linux.sysctl = { 'vm.swappiness': '1' }; }), 'linux.sysctl["vm.swappiness"]', /not in a namespace of its own/);
    refuses(changed((s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; without(s, 'network'); }), 'linux.sysctl["net.ipv4.ip_forward"]', /needs a network namespace/);
    refuses(changed((s) => { s.linux.sysctl = { 'kernel.shmmax': '1' }; without(s, 'ipc'); }), 'linux.sysctl["kernel.shmmax"]', /needs a ipc namespace/);
    refuses(changed((s) => { s.linux.sysctl = { 'kernel.hostname': 'h' }; }), 'linux.sysctl["kernel.hostname"]', /hostname/);
  });

  it('refuses fields of runtime-spec 1.2/1.3 the guest\'s crun would drop without a word', () => {
    refuses(changed((s) => { s.ociVersion = '1.3.0'; s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE' }; }), 'process.ioPriority', /not supported/);
    refuses(changed((s) => { s.ociVersion = '1.3.0'; s.linux.netDevices = { eth1: {} }; }), 'linux.netDevices', /not supported/);
  });

  it('refuses a spec over the guest agent\'s 1 MiB limit, before boot', () => {
    refuses(changed((s) => { s.process.env.push(`X=${'x'.repeat(1024 * 1024)}`); }), '(whole spec)', /over the guest agent's limit of 1048576/);
  });

  it('needs a process, a root and absolute mount destinations', () => {
    refuses(changed((s) => { delete s.process; }), 'process', /is required/);
    refuses(changed((s) => { delete s.root; }), 'root', /is required/);
    refuses(changed((s) => { s.mounts[0].destination = 'proc'; }), 'mounts[0].destination', /absolute/);
  });

  it('checks an exec process on its own, its fields named from the prefix', () => {
    const p = (defaultSpec().process!) as Record<string, any>;
    validateProcess(p, '/p.json', 'process');
    assert.throws(() => validateProcess({ ...p, rlimits: [{ type: 'RLIMIT_X', soft: 1, hard: 1 }] }, '/p.json', 'process'),
      (e: Error & { details: Record<string, unknown> }) => e.details.field === 'process.rlimits[0].type' && e.details.file === '/p.json');
    assert.throws(() => validateProcess({ ...p, user: { uid: -1, gid: 0 } }, '/p.json', 'process'), /process\.user\.uid/);
  });
});
