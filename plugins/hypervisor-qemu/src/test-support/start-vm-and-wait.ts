// SPDX-License-Identifier: Apache-2.0
/**
 * Test helper, run as its own process: starts a held test VM with the QEMU plugin, prints `{"pid": <qemu>}` and
 * waits to be killed. The integration test SIGKILLs it to check that QEMU does not outlive its starter.
 * argv[2]: JSON `{ root, kernel, initrd }` (root: an empty folder for the sandbox).
 */
import * as path from 'node:path';
import { FileJournal, nullLogger } from '@cella/core';
import { QemuHypervisor } from '../qemu-hypervisor';

async function main(): Promise<void> {
  const { root, kernel, initrd } = JSON.parse(process.argv[2]!) as { root: string; kernel: string; initrd: string };
  const runDir = path.join(root, 'run');
  const sandbox = { id: 'orphan-test', stateDir: root, runDir, journal: await FileJournal.open(root), logger: nullLogger, vcpus: 1, memoryMiB: 256 };
  const hv = new QemuHypervisor(sandbox, { accel: 'tcg' }, { cache: path.join(root, 'cache') });
  const info = await hv.start({
    sandboxId: sandbox.id, vcpus: 1, memoryMiB: 256, kernel, initrd, kernelParams: ['cella.test.hold=1'], devices: [],
    agentChannel: { kind: 'virtio-serial', socketPath: path.join(runDir, 'agent.sock'), name: 'agent.channel.0' },
    runDir, consoleLog: path.join(runDir, 'console.log'),
  });
  process.stdout.write(`${JSON.stringify({ pid: info.pid })}\n`);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).message)}\n`);
  process.exit(1);
});
