// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError, nullLogger, type SandboxContext } from '@cella/core';
import { CellaGuestImage, guestHostname, hostnameFor } from './cella-guest-image';
import { GuestImageBuilder } from './guest-image-builder';

describe('CellaGuestImage', () => {
  it('makes a valid hostname from any sandbox id', () => {
    assert.equal(hostnameFor('Web_1.prod'), 'web-1-prod');
    assert.equal(hostnameFor('a'.repeat(70)), 'a'.repeat(63));
    assert.equal(hostnameFor('___'), 'cella');
    assert.equal(guestHostname('My.Host-1'), 'My.Host-1', 'a valid name is kept as it is');
    assert.equal(guestHostname('Web_1.prod'), 'web-1-prod');
  });

  it('refuses to boot with E_IMAGE_MISSING and a build hint when no image is built', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'cella-gi-'));
    try {
      await fs.mkdir(join(dir, 'modules', '6.1.0-test'), { recursive: true });
      await fs.writeFile(join(dir, 'modules', '6.1.0-test', 'modules.dep'), '');
      await fs.writeFile(join(dir, 'vmlinuz'), 'k');
      await fs.writeFile(join(dir, 'agent.js'), '');
      const builder = new GuestImageBuilder({
        cacheDir: join(dir, 'cache'),
        agentBundle: join(dir, 'agent.js'),
        agentNodeModules: dir,
        kernel: { path: join(dir, 'vmlinuz'), modulesDir: join(dir, 'modules', '6.1.0-test') },
      }, nullLogger);
      const image = new CellaGuestImage(builder, { transport: 'virtio-serial', vsockPort: 1024, kernelParams: [] });
      const sandbox = { id: 's1', runDir: join(dir, 'run') } as SandboxContext;
      await assert.rejects(image.boot(sandbox), (err: unknown) =>
        isCellaError(err, 'E_IMAGE_MISSING') && /cella image build/.test(err.hint ?? ''));
      assert.deepEqual(await image.list(), []);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
