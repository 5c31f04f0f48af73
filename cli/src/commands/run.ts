// SPDX-License-Identifier: Apache-2.0
import { constants } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { E, readBundle } from '@cella/core';
import { BaseCommand } from '../base-command';
import { makeSandboxService } from '../sandbox';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export default class Run extends BaseCommand<typeof Run> {
  static override description = 'Create and run a container from an OCI bundle, in its own VM, and wait for it';
  static override examples = ['<%= config.bin %> run --bundle examples/hello/bundle hello1'];
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = {
    bundle: Flags.string({ char: 'b', description: 'Bundle folder (holds config.json)', default: '.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const g = this.globals(flags);
    // Validate the bundle before anything is created.
    const bundle = await readBundle(flags.bundle);
    const rt = await this.runtime(g);
    const service = makeSandboxService(rt);
    // Before the container runs, a signal stops the boot (and everything is torn down); after, it is forwarded.
    const booting = new AbortController();
    let forward: ((sig: number) => void) | undefined;
    const handlers = FORWARDED.map((s) => {
      const h = (): void => {
        if (forward) forward(constants.signals[s]);
        else booting.abort(E.INTERRUPTED.create(`Interrupted by ${s} while the sandbox was starting`, { details: { id: args.id, signal: s } }));
      };
      process.on(s, h);
      return [s, h] as const;
    });
    try {
      const status = await service.run(args.id, bundle, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, {
        abort: booting.signal,
        onSignal(cb) { forward = cb; },
      });
      process.exitCode = status;
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
      process.stdin.destroy();
    }
  }
}
