// SPDX-License-Identifier: Apache-2.0
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError, nullLogger } from '@cella/core';
import { GuestImageBuilder, type ImageBuildInputs } from './guest-image-builder';
import { imageKey, type KeyInputs } from './image-key';

const BASE: KeyInputs = {
  builderVersion: '1',
  kernel: 'deb:linux-image-6.1.0-56-cloud-amd64=6.1.192-2:e7d0',
  initScripts: { 'init-stage1': 'aa', 'init-stage2': 'bb' },
  modules: ['virtio_pci', 'virtio_blk'],
  binaries: { busybox: '/bin/busybox:1:2', crun: '/usr/bin/crun:3:4', node: '/usr/bin/node:5:6' },
  agentBundle: 'cc',
  nodeModules: 'dd',
};

describe('imageKey', () => {
  it('is the same for the same inputs, whatever their key order', () => {
    const reordered: KeyInputs = {
      nodeModules: 'dd', agentBundle: 'cc', modules: ['virtio_pci', 'virtio_blk'], kernel: BASE.kernel, builderVersion: '1',
      binaries: { node: '/usr/bin/node:5:6', crun: '/usr/bin/crun:3:4', busybox: '/bin/busybox:1:2' },
      initScripts: { 'init-stage2': 'bb', 'init-stage1': 'aa' },
    };
    assert.match(imageKey(BASE), /^[0-9a-f]{64}$/);
    assert.equal(imageKey(reordered), imageKey(BASE));
  });

  it('changes when any one input changes', () => {
    const variants: KeyInputs[] = [
      { ...BASE, builderVersion: '2' },
      { ...BASE, kernel: 'deb:linux-image-6.1.0-57-cloud-amd64=6.1.193-1:ffff' },
      { ...BASE, initScripts: { ...BASE.initScripts, 'init-stage2': 'bc' } },
      { ...BASE, modules: ['virtio_blk', 'virtio_pci'] },
      { ...BASE, binaries: { ...BASE.binaries, crun: '/usr/bin/crun:3:5' } },
      { ...BASE, agentBundle: 'cd' },
      { ...BASE, nodeModules: 'de' },
    ];
    const keys = new Set([imageKey(BASE), ...variants.map(imageKey)]);
    assert.equal(keys.size, variants.length + 1);
  });
});

describe('GuestImageBuilder.computeKey', () => {
  let dir: string;
  let inputs: ImageBuildInputs;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'cella-key-'));
    const w = (name: string, text: string): Promise<void> => fs.writeFile(join(dir, name), text);
    await fs.mkdir(join(dir, 'guest'));
    await fs.mkdir(join(dir, 'modules', '6.1.0-test'), { recursive: true });
    await w('modules/6.1.0-test/modules.dep', '');
    await w('vmlinuz', 'kernel');
    await w('guest/init-stage1', '#!/bin/sh\n');
    await w('guest/init-stage2', '#!/bin/sh\n');
    await w('busybox', 'bb');
    await w('crun', 'crun');
    await w('node', 'node');
    await w('agent.js', 'console.log(1)');
    await fs.mkdir(join(dir, 'agent-modules', 'node_modules', 'x'), { recursive: true });
    await w('agent-modules/node_modules/x/index.js', '');
    inputs = {
      cacheDir: join(dir, 'cache'),
      agentBundle: join(dir, 'agent.js'),
      agentNodeModules: join(dir, 'agent-modules'),
      kernel: { path: join(dir, 'vmlinuz'), modulesDir: join(dir, 'modules', '6.1.0-test') },
      busybox: join(dir, 'busybox'),
      crun: join(dir, 'crun'),
      node: join(dir, 'node'),
      guestDir: join(dir, 'guest'),
    };
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const key = (over: Partial<ImageBuildInputs> = {}): Promise<string> => new GuestImageBuilder({ ...inputs, ...over }, nullLogger).computeKey();

  it('stays the same when nothing changed, even if the agent bundle is rewritten with the same content', async () => {
    const first = await key();
    await fs.writeFile(join(dir, 'agent.js'), 'console.log(1)');
    assert.equal(await key(), first);
  });

  it('changes when the agent bundle or an init script changes content', async () => {
    const first = await key();
    await fs.writeFile(join(dir, 'agent.js'), 'console.log(2)');
    const second = await key();
    assert.notEqual(second, first);
    await fs.writeFile(join(dir, 'guest', 'init-stage1'), '#!/bin/sh\necho changed\n');
    assert.notEqual(await key(), second);
  });

  it('changes when a file of the agent\'s node_modules changes content (a rebuilt native addon)', async () => {
    const first = await key();
    await fs.writeFile(join(dir, 'agent-modules', 'node_modules', 'x', 'index.js'), 'changed');
    assert.notEqual(await key(), first);
  });

  it('changes when a binary or the kernel file is touched or replaced', async () => {
    const first = await key();
    await fs.utimes(join(dir, 'crun'), new Date(), new Date(2001, 0, 1));
    const second = await key();
    assert.notEqual(second, first);
    await fs.writeFile(join(dir, 'vmlinuz'), 'another kernel');
    const third = await key();
    assert.notEqual(third, second);
    await fs.copyFile(join(dir, 'node'), join(dir, 'node2'));
    assert.notEqual(await key({ node: join(dir, 'node2') }), third);
  });

  it('says which input is missing', async () => {
    await assert.rejects(key({ agentBundle: join(dir, 'absent.js') }),
      (err: unknown) => isCellaError(err, 'E_IMAGE_INPUT') && err.details.path === join(dir, 'absent.js'));
  });
});
