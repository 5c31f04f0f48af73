// SPDX-License-Identifier: Apache-2.0
import type { Server } from 'node:net';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { checkExecutable, E, readBundle, StateStore, writeFileAtomic, type Bundle } from '@cella/core';
import { BaseCommand } from '../base-command';
import { checkPidFile } from '../pid-file';
import { podNamespaces } from '../pod';
import { checkPreserveFds } from '../preserve-fds';
import type { HolderOptions } from '../holder/holder-main';
import { spawnHolder } from '../holder/spawn-holder';
import type { GlobalOptions } from '../runtime';
import { serveKill } from '../holder/control-socket';
import { makeSandboxService } from '../sandbox';
import { checkTerminal } from '../tty/check-terminal';
import { callerWindowSize, OwnTerminal } from '../tty/session-terminal';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const HOLDER = join(__dirname, '..', '..', 'bin', 'holder.js');

export default class Run extends BaseCommand<typeof Run> {
  static override description = 'Create and run a container from an OCI bundle, in its own VM, and wait for it (with -d: leave it running)';
  static override examples = [
    '<%= config.bin %> run --bundle examples/hello/bundle hello1',
    '<%= config.bin %> run -d --pid-file hello2.pid --bundle examples/hello/bundle hello2',
  ];
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = {
    bundle: Flags.string({ char: 'b', description: 'Bundle folder (holds config.json)', default: '.' }),
    detach: Flags.boolean({ char: 'd', description: 'Create and start the container, then return; it keeps running (as create + start)' }),
    'pid-file': Flags.string({ description: 'Write the pid of the process that stands for the container here' }),
    'console-socket': Flags.string({ description: 'Unix socket to receive the pty master (terminal containers, with -d)' }),
    'no-pivot': Flags.boolean({ description: 'Accepted for runc compatibility (the guest decides)' }),
    'no-new-keyring': Flags.boolean({ description: 'Accepted for runc compatibility' }),
    'preserve-fds': Flags.integer({ description: 'Accepted for runc compatibility; must be 0 (fds cannot enter the VM)', default: 0 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const g = this.globals(flags);
    // Validate the bundle (and runc's terminal rules) before anything is created.
    const bundle = await readBundle(flags.bundle);
    const terminal = bundle.spec.process?.terminal === true;
    const consoleSocket = checkTerminal(terminal, flags['console-socket'], flags.detach, bundle.configFile);
    checkPreserveFds(flags['preserve-fds']);
    await checkExecutable(bundle.spec, bundle.rootfs);
    // `run` boots a VM of its own: no namespace path but a network one can be honoured (refused before boot).
    await podNamespaces(bundle.spec, bundle.configFile, undefined, undefined);
    const pidFile = checkPidFile('--pid-file', flags['pid-file']);
    if (flags.detach) await this.detached(args.id, bundle, g, consoleSocket, pidFile);
    else await this.foreground(args.id, bundle, g, terminal, pidFile);
  }

  /** `run -d`: a holder creates and starts the container, as `create` + `start`, and stands for it. */
  private async detached(id: string, bundle: Bundle, g: GlobalOptions, consoleSocket: string | undefined, pidFile: string | undefined): Promise<void> {
    const opts: HolderOptions = { id, bundle: bundle.dir, root: g.root && resolve(g.root), config: g.config && resolve(g.config), debug: g.debug, log: g.log && resolve(g.log), consoleSocket, start: true };
    const store = new StateStore(await this.stateRoot(g));
    opts.root = store.root;
    await spawnHolder(store, id, HOLDER, opts, consoleSocket === undefined, pidFile, async () => makeSandboxService(await this.runtime(g)).forceDelete(id));
  }

  /**
   * `run` in the foreground: this process stands for the container. With `process.terminal` the container gets
   * its own terminal in the guest, relayed to our stdio; our terminal is raw meanwhile and its size follows.
   */
  private async foreground(id: string, bundle: Bundle, g: GlobalOptions, terminal: boolean, pidFile: string | undefined): Promise<void> {
    const rt = await this.runtime(g);
    const service = makeSandboxService(rt);
    // The process starts with the caller's size (crun applies process.consoleSize); later changes are resizes.
    const size = terminal ? callerWindowSize() : undefined;
    if (size && bundle.spec.process) bundle.spec.process.consoleSize = { height: size.rows, width: size.columns };
    // Before the container runs, a signal stops the boot (and everything is torn down); after, it is forwarded.
    const booting = new AbortController();
    let forward: ((sig: number) => void) | undefined;
    const handlers = FORWARDED.map((s) => {
      const h = (): void => {
        if (forward) forward(constants.signals[s]);
        else booting.abort(E.INTERRUPTED.create(`Interrupted by ${s} while the sandbox was starting`, { details: { id, signal: s } }));
      };
      process.on(s, h);
      return [s, h] as const;
    });
    let own: OwnTerminal | undefined;
    let control: Server | undefined;
    try {
      const status = await service.run(id, bundle, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, {
        abort: booting.signal,
        onSignal(cb) { forward = cb; },
        async onStarted(resize) {
          if (pidFile) await writeFileAtomic(pidFile, String(process.pid), 0o644);
          // `cella kill ID` reaches a foreground run as it reaches a holder (issue #10 item 9; runc can kill what `run` started).
          control = await serveKill(rt.store.paths(id).runDir, (sig) => forward?.(sig));
          if (!terminal) return;
          own = new OwnTerminal();
          await own.watchSize((s) => resize(s.rows, s.columns));
        },
      });
      process.exitCode = status;
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
      control?.close();
      await own?.close();
      process.stdin.destroy();
    }
  }
}
