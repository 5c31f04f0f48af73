// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import Ajv from 'ajv';
import { defaultSpec } from './default-spec';
import { hasRunc, runcSpecText } from './runc-fixture';
import { fieldOf, OCI_SPEC_SCHEMA, validateSpecSchema } from './spec-schema';

const FILE = '/bundles/b1/config.json';

/** Refused with the member's JSON pointer in the details and its field path (`process.rlimits[0].type`) in the message. */
function rejects(spec: unknown, pointer: string, text: RegExp, field = fieldOf(pointer, spec)): void {
  assert.throws(() => validateSpecSchema(spec, FILE), (e: Error & { code: string; details: Record<string, unknown> }) => {
    assert.equal(e.code, 'E_BUNDLE_INVALID');
    assert.equal(e.details.file, FILE);
    assert.equal(e.details.pointer, pointer);
    assert.equal(e.details.field, field || '(top level)');
    assert.ok(e.message.includes(`invalid: ${field || '(top level)'} `), e.message);
    assert.match(e.message, text);
    return true;
  }, pointer);
}

/** runc's default spec with one change. */
function broken(change: (s: Record<string, any>) => void): unknown {
  const s = defaultSpec() as Record<string, any>;
  change(s);
  return s;
}

describe('validateSpecSchema (config.json schema)', () => {
  it('is a valid draft-07 schema under ajv strict mode', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    assert.equal(ajv.validateSchema(OCI_SPEC_SCHEMA), true, JSON.stringify(ajv.errors));
    ajv.compile(OCI_SPEC_SCHEMA);
  });

  it('accepts defaultSpec(), rootless too', () => {
    validateSpecSchema(defaultSpec(), FILE);
    validateSpecSchema(defaultSpec({ rootless: true }), FILE);
  });

  it('accepts the config.json real runc writes, rootless too', function () {
    if (!hasRunc()) this.skip();
    validateSpecSchema(JSON.parse(runcSpecText()), FILE);
    validateSpecSchema(JSON.parse(runcSpecText(true)), FILE);
  });

  it('accepts fields it does not know (the spec allows extensions) and a minimal config', () => {
    validateSpecSchema(broken((s) => { s.vendorThing = { x: 1 }; s.process.vendor = true; s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; }), FILE);
    validateSpecSchema({ ociVersion: '1.1.0' }, FILE);
    validateSpecSchema(broken((s) => { s.annotations = null; }), FILE);
  });

  it('names the member at fault by its JSON pointer and its field path', () => {
    rejects({}, '/ociVersion', /is required/);
    rejects([], '', /must be object/);
    rejects(broken((s) => { s.ociVersion = 1; }), '/ociVersion', /must be string/);
    rejects(broken((s) => { delete s.root.path; }), '/root/path', /is required/);
    rejects(broken((s) => { s.process.args = []; }), '/process/args', /fewer than 1/);
    rejects(broken((s) => { s.process.args = ['sh', 2]; }), '/process/args/1', /must be string/);
    rejects(broken((s) => { s.process.cwd = 'tmp'; }), '/process/cwd', /absolute path/);
    rejects(broken((s) => { s.process.user.uid = -1; }), '/process/user/uid', />= 0/);
    rejects(broken((s) => { delete s.process.user.gid; }), '/process/user/gid', /is required/);
    rejects(broken((s) => { s.process.terminal = 'yes'; }), '/process/terminal', /must be boolean/);
    rejects(broken((s) => { s.process.consoleSize = { height: 24 }; }), '/process/consoleSize/width', /is required/);
    rejects(broken((s) => { s.process.rlimits[0].type = 'NOFILE'; }), '/process/rlimits/0/type', /not a resource limit Linux knows/, 'process.rlimits[0].type');
    rejects(broken((s) => { s.process.rlimits.push({ type: 'RLIMIT_TEST', soft: 1, hard: 1 }); }), '/process/rlimits/1/type', /not a resource limit/, 'process.rlimits[1].type');
    rejects(broken((s) => { s.process.capabilities.effective.push('CAP_TEST'); }), '/process/capabilities/effective/3', /not a capability Linux knows/);
    rejects(broken((s) => { s.process.user.uid = 4294967295; }), '/process/user/uid', /from 0 to 4294967294/, 'process.user.uid');
    rejects(broken((s) => { s.process.user.additionalGids = [5, -1]; }), '/process/user/additionalGids/1', />= 0/, 'process.user.additionalGids[1]');
    rejects(broken((s) => { s.linux = null; }), '/linux', /must be object/, 'linux');
    rejects(broken((s) => { s.linux.namespaces = 'x'; }), '/linux/namespaces', /must be array/, 'linux.namespaces');
    rejects(broken((s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }), '/linux/sysctl/net.ipv4.ip_forward', /must be string/, 'linux.sysctl["net.ipv4.ip_forward"]');
    rejects(broken((s) => { s.process.capabilities.bounding = 'CAP_KILL'; }), '/process/capabilities/bounding', /must be array/);
    rejects(broken((s) => { s.mounts[2] = { type: 'tmpfs' }; }), '/mounts/2/destination', /is required/);
    rejects(broken((s) => { s.linux.namespaces.push({ type: 'net' }); }), '/linux/namespaces/5/type', /must be one of mount, pid, network/);
    rejects(broken((s) => { s.linux.cgroupsPath = 5; }), '/linux/cgroupsPath', /must be string/);
    rejects(broken((s) => { s.linux.maskedPaths = [1]; }), '/linux/maskedPaths/0', /must be string/);
    rejects(broken((s) => { s.annotations = { a: 1 }; }), '/annotations/a', /must be string/, 'annotations.a');
    rejects(broken((s) => { s.annotations = { 'io.k8s/x': 'y', 10: false }; }), '/annotations/10', /must be string/, 'annotations["10"]');
    rejects(broken((s) => { s.hostname = ['h']; }), '/hostname', /must be string/);
  });

  it('lists the other problems in the details', () => {
    assert.throws(() => validateSpecSchema(broken((s) => { s.hostname = 1; s.process.cwd = 'x'; }), FILE),
      (e: Error & { details: { others?: string[] } }) => e.details.others?.some((o) => o.startsWith('hostname ')) === true);
  });
});
