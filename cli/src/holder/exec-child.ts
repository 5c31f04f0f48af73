// SPDX-License-Identifier: Apache-2.0
/**
 * The process that stands for a detached exec (`cella exec -d`): runs the exec in the foreground, reports on
 * fd 3 once it started (its pid goes to --pid-file), relays stdio and exits with the exec's status.
 */
import type { OciProcess } from '@cella/core';
import { errorJson } from '../render/errors';
import { HostTerminal } from '../tty/host-terminal';
import { execSession } from './exec-session';
import { guardStdio } from '../safe-stdio';
import { reporter } from './child-report';

async function main(): Promise<void> {
  const { runDir, id, process: proc, consoleSocket, log } = JSON.parse(process.argv[2] ?? '{}') as { runDir: string; id: string; process: OciProcess; consoleSocket?: string; log?: string };
  guardStdio(log, 'cella-exec');
  const report = reporter();
  try {
    // A terminal exec: the pty master goes to the console socket before the process runs (runc's order).
    const terminal = consoleSocket === undefined ? undefined : await HostTerminal.open(consoleSocket);
    const status = await execSession(runDir, id, proc, () => report.send({ ok: true, pid: process.pid }), terminal);
    process.exit(status);
  } catch (err) {
    await report.send({ ok: false, error: errorJson(err).error as Record<string, unknown> });
    process.exit(255);
  }
}

void main();
