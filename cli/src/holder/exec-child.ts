// SPDX-License-Identifier: Apache-2.0
/**
 * The process that stands for a detached exec (`cella exec -d`): runs the exec in the foreground, reports on
 * fd 3 once it started (its pid goes to --pid-file), relays stdio and exits with the exec's status.
 */
import { createWriteStream } from 'node:fs';
import type { OciProcess } from '@cella/core';
import { errorJson } from '../render/errors';
import { execSession } from './exec-session';
import type { HolderReport } from './holder-protocol';

async function main(): Promise<void> {
  const { runDir, id, process: proc } = JSON.parse(process.argv[2] ?? '{}') as { runDir: string; id: string; process: OciProcess };
  const report = createWriteStream('', { fd: 3 });
  let reported = false;
  const send = (r: HolderReport): Promise<void> => new Promise((resolve) => { reported = true; report.end(`${JSON.stringify(r)}\n`, () => resolve()); });
  try {
    const status = await execSession(runDir, id, proc, () => send({ ok: true, pid: process.pid }));
    process.exit(status);
  } catch (err) {
    if (!reported) await send({ ok: false, error: errorJson(err).error as Record<string, unknown> });
    process.exit(255);
  }
}

void main();
