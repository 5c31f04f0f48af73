// SPDX-License-Identifier: Apache-2.0
import { cella, type CellaResult, processesMentioning } from './cella';

export interface RefusalTrace extends CellaResult {
  /** Wall time of the command, ms. */
  ms: number;
  /** QEMU processes whose command line mentioned the state root while the command ran (polled every 20 ms). */
  qemu: string[];
}

/**
 * Run `cella args` (whose `--root` is `root`) and watch for a VM: any QEMU process that mentions the state root
 * (its sockets and disks live there) while the command runs. A refusal before boot shows none, and returns in
 * far less than a boot takes (≈5 s under TCG here).
 */
export async function runWatchingForVm(root: string, args: string[]): Promise<RefusalTrace> {
  const qemu = new Set<string>();
  const poll = setInterval(() => {
    for (const p of processesMentioning(root)) if (/qemu-system/.test(p)) qemu.add(p);
  }, 20);
  const t0 = Date.now();
  try {
    const r = await cella(args);
    return { ...r, ms: Date.now() - t0, qemu: [...qemu] };
  } finally {
    clearInterval(poll);
  }
}
