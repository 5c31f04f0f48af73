// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { defaultSpec, specFileText } from './default-spec';
import { hasRunc, runcSpecText } from './runc-fixture';

const isRoot = process.geteuid?.() === 0;

describe('defaultSpec (runc spec)', () => {
  before(function () { if (!hasRunc()) this.skip(); });

  it('is byte for byte the config.json `runc spec` writes', () => {
    assert.equal(specFileText(defaultSpec()), runcSpecText());
  });

  it('is byte for byte what `runc spec --rootless` writes for this user', () => {
    assert.equal(specFileText(defaultSpec({ rootless: true })), runcSpecText(true));
  });

  it('maps the calling user to root when rootless, as runc does for another user', function () {
    if (!isRoot) this.skip();
    const uid = 4321;
    assert.equal(specFileText(defaultSpec({ rootless: true, uid, gid: uid })), runcSpecText(true, uid));
  });

  it('returns a fresh object each call', () => {
    const a = defaultSpec();
    a.process!.args.push('-c');
    (a.mounts as unknown[]).length = 0;
    assert.equal(specFileText(defaultSpec()), runcSpecText());
  });
});
