// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, nullLogger, vmSpecOf, type GuestImage, type SandboxContext, type VmSpec } from '@cella/core';
import type { Runtime } from './runtime';

/**
 * A sandbox context for asking plugins what a sandbox would get (`check`, `image build`) without making one: its
 * folders are a private temporary folder, removed by `dispose`. Nothing is started through it.
 */
export async function probeContext(rt: Runtime): Promise<{ ctx: SandboxContext; vmSpec(image: GuestImage): Promise<VmSpec>; dispose(): Promise<void> }> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'cella-probe-'));
  const ctx: SandboxContext = {
    id: 'probe', stateDir: dir, runDir: join(dir, 'run'), journal: await FileJournal.open(dir), logger: nullLogger,
    vcpus: rt.config.sandbox.default_vcpus, memoryMiB: rt.config.sandbox.default_memory_mib,
  };
  return {
    ctx,
    vmSpec: async (image) => vmSpecOf(ctx, await image.boot(ctx), []),
    dispose: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
