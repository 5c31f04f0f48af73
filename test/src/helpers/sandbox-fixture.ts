// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { nullLogger, readBundle, type GuestAgent, type SandboxHandle, type SandboxService } from '@cella/core';
import { loadRuntime, makeSandboxService } from '@cella/cli';
import { assertNothingLeft, makeBundle, tempDir } from './cella';

/** Everything a stream of the agent gives until its end. */
export async function readAll(read: (max: number) => Promise<Buffer | undefined>): Promise<string> {
  let out = '';
  for (let chunk = await read(65536); chunk !== undefined; chunk = await read(65536)) out += chunk.toString();
  return out;
}

/** Output, error output and exit status of a process in the guest (`execId` '' for a container's own process). */
export async function processOutput(agent: GuestAgent, id: string, execId = ''): Promise<{ out: string; err: string; status: number }> {
  const [out, err, status] = await Promise.all([
    readAll((n) => agent.readStdout(id, execId, n)), readAll((n) => agent.readStderr(id, execId, n)), agent.wait(id, execId),
  ]);
  return { out, err, status };
}

export interface SandboxFixture {
  /** State root and scratch folder of the current test. */
  readonly root: string;
  readonly dir: string;
  /**
   * A sandbox made through the real composition (config → plugins → SandboxService), its first container running
   * `sleep 300`. Finished after the test unless the test calls `finished()`.
   */
  start(configText: string, id: string): Promise<{ svc: SandboxService; live: SandboxHandle }>;
  /** The test finished the sandbox itself. */
  finished(): void;
}

/**
 * Mocha hooks for tests that drive SandboxService directly on a real VM: a fresh state root and scratch folder per
 * test; afterwards the sandbox is torn down if the test left it, nothing may be left under the root, and both go.
 */
export function sandboxFixture(name: string): SandboxFixture {
  let svc: SandboxService | undefined;
  let live: SandboxHandle | undefined;
  const f = {
    root: '', dir: '',
    async start(configText: string, id: string) {
      const config = join(f.dir, 'config.toml');
      await fs.writeFile(config, configText);
      const s = makeSandboxService(await loadRuntime({ config, root: f.root }, nullLogger));
      svc = s;
      const l = await s.create(id, await readBundle(await makeBundle(['sleep', '300'])));
      live = l;
      await s.start(l);
      return { svc: s, live: l };
    },
    finished() { svc = undefined; live = undefined; },
  };
  beforeEach(() => { f.root = tempDir('root'); f.dir = tempDir(name); });
  afterEach(async () => {
    if (svc && live) await svc.finish(live, true).catch(() => undefined);
    f.finished();
    assertNothingLeft(f.root);
    await fs.rm(f.root, { recursive: true, force: true });
    await fs.rm(f.dir, { recursive: true, force: true });
  });
  return f;
}
