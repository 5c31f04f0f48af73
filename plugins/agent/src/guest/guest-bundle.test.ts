// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { join } from 'node:path';

interface Metafile { inputs: Record<string, { bytes: number }> }

/**
 * The guest agent is bundled into one file that Node parses at every guest boot (under TCG, each KiB costs) and
 * whose hash is part of the guest image key: it must take from core only what runs in the guest (errors, log,
 * ttRPC, tty), never core's root index, which drags in the host side (SandboxService, DI, plugin loading) and
 * would make every core change a new image.
 */
describe('guest agent bundle', () => {
  it('holds only the guest-side parts of core', async function () {
    this.timeout(30_000);
    const esbuild = require('esbuild') as { build(o: object): Promise<{ metafile: Metafile }> };
    const { metafile } = await esbuild.build({
      entryPoints: [join(__dirname, 'main.js')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, metafile: true, outfile: 'guest-agent.js',
    });
    const coreFiles = Object.keys(metafile.inputs).filter((f) => /(^|\/)core\/dist\//.test(f)).map((f) => f.replace(/.*core\/dist\//, ''));
    assert.ok(coreFiles.some((f) => f.startsWith('ttrpc/')), 'the agent speaks ttRPC through core');
    const hostSide = coreFiles.filter((f) => !/^(errors|log|ttrpc|tty)\//.test(f));
    assert.deepEqual(hostSide, [], 'host-side core modules in the guest agent bundle');
  });
});
