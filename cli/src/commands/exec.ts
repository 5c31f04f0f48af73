// SPDX-License-Identifier: Apache-2.0
import { join, resolve } from 'node:path';
import { assertTransition, E, readSpecFile, StateStore, validateProcess, writeFileAtomic, type OciProcess, type OciSpec } from '@cella/core';
import { BaseCommand } from '../base-command';
import { ERROR_EXIT_STATUS } from '../render/errors';
import { agentRunDir, viewContainer } from '../container-view';
import { parseExecArgs, type ExecArgs } from '../exec-args';
import { execSession } from '../holder/exec-session';
import { spawnReporting } from '../holder/child-report';
import { checkPidFile } from '../pid-file';
import { checkTerminal } from '../tty/check-terminal';
import { OwnTerminal } from '../tty/session-terminal';

const EXEC_CHILD = join(__dirname, '..', '..', 'bin', 'exec-child.js');

export default class Exec extends BaseCommand<typeof Exec> {
  static override description = 'Run a new process in a running container (runc exec: flags, then ID, then the command)';
  static override strict = false;
  static override usage = 'exec [--process FILE] [-t] [-d] [--pid-file F] [--cwd DIR] [--env K=V]... [--user UID[:GID]] ID [COMMAND [ARG...]]';

  /** As runc: a failure of exec itself exits 255, so it differs from the statuses of the process. */
  protected override errorExitStatus = 255;

  async run(): Promise<void> {
    let a: ExecArgs;
    try {
      a = parseExecArgs(this.argv);
    } catch (err) {
      // A usage error (no id, an unknown flag) is not an exec failure: runc exits 1 for it.
      this.errorExitStatus = ERROR_EXIT_STATUS;
      throw err;
    }
    const g = this.globals({ root: a.globals.root, config: a.globals.config, log: a.globals.log, debug: a.globals.debug, 'log-format': a.globals.logFormat });
    const store = new StateStore(await this.stateRoot(g));
    const v = await viewContainer(store, a.id);
    assertTransition(v.status, 'exec', a.id);
    const pidFile = checkPidFile('--pid-file', a.pidFile);
    const proc = await execProcess(a, v.state.bundle);
    const consoleSocket = checkTerminal(proc.terminal === true, a.consoleSocket, a.detach, a.process ?? '(exec flags)');
    // The holder that owns the agent connection: a pod member's is its pod sandbox's (docs/adr/0009).
    const runDir = agentRunDir(store, v);
    if (!a.detach) {
      process.exitCode = await execSession(runDir, a.id, proc, undefined, proc.terminal ? new OwnTerminal() : undefined);
      return;
    }
    const pid = await spawnReporting(EXEC_CHILD, { runDir, id: a.id, process: proc, consoleSocket, log: g.log && resolve(g.log) }, 'exec', consoleSocket === undefined);
    if (pidFile) await writeFileAtomic(pidFile, String(pid), 0o644);
  }
}

/** The process to run: --process FILE as given, or the container's own process with the command and flags applied. */
async function execProcess(a: ExecArgs, bundle: string): Promise<OciProcess> {
  if (a.process) {
    const file = resolve(a.process);
    const proc = await readSpecFile(file, 'The --process file');
    validateProcess(proc, file, 'process');
    return proc;
  }
  const spec = await readSpecFile(join(bundle, 'config.json'), "The bundle's config.json") as OciSpec;
  const base = spec.process ?? { user: { uid: 0, gid: 0 }, args: [], cwd: '/' };
  const proc: OciProcess = { ...base, args: a.args, terminal: a.tty, env: [...(base.env ?? []), ...a.env], cwd: a.cwd ?? base.cwd };
  if (a.user) {
    const [uid, gid] = a.user.split(':').map((n) => Number(n));
    if (!Number.isInteger(uid) || (gid !== undefined && !Number.isInteger(gid))) {
      throw E.INVALID_ARGUMENT.create('--user must be UID[:GID] in numbers', { details: { user: a.user } });
    }
    proc.user = { uid: uid!, gid: gid ?? 0 };
  }
  validateProcess(proc, '(exec flags)', 'process');
  return proc;
}
