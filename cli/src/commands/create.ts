// SPDX-License-Identifier: Apache-2.0
import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { checkExecutable, readBundle, StateStore } from '@cella/core';
import { BaseCommand } from '../base-command';
import { checkPidFile } from '../pid-file';
import { checkPreserveFds } from '../preserve-fds';
import type { HolderOptions } from '../holder/holder-main';
import type { MemberOptions } from '../holder/member-main';
import { assertIdFree, podMembership, podNamespaces } from '../pod';
import { spawnHolder } from '../holder/spawn-holder';
import { makeSandboxService } from '../sandbox';
import { checkTerminal } from '../tty/check-terminal';

const HOLDER = join(__dirname, '..', '..', 'bin', 'holder.js');
const MEMBER_HOLDER = join(__dirname, '..', '..', 'bin', 'member-holder.js');

export default class Create extends BaseCommand<typeof Create> {
  static override description = 'Create a container in its own VM (a pod\'s container: in its pod sandbox\'s VM), stopped before its process runs (OCI create)';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = {
    bundle: Flags.string({ char: 'b', description: 'Bundle folder (holds config.json)', default: '.' }),
    'pid-file': Flags.string({ description: 'Write the pid of the process that stands for the container here' }),
    'console-socket': Flags.string({ description: 'Unix socket to receive the pty master (terminal containers)' }),
    'no-pivot': Flags.boolean({ description: 'Accepted for runc compatibility (the guest decides)' }),
    'no-new-keyring': Flags.boolean({ description: 'Accepted for runc compatibility' }),
    'preserve-fds': Flags.integer({ description: 'Accepted for runc compatibility; must be 0 (fds cannot enter the VM)', default: 0 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Create);
    const g = this.globals(flags);
    const bundle = await readBundle(flags.bundle);
    const consoleSocket = checkTerminal(bundle.spec.process?.terminal === true, flags['console-socket'], true, bundle.configFile);
    checkPreserveFds(flags['preserve-fds']);
    const pidFile = checkPidFile('--pid-file', flags['pid-file']);
    await checkExecutable(bundle.spec, bundle.rootfs);
    // A container of a Kubernetes pod joins its pod sandbox's VM instead of booting one (docs/adr/0009).
    const pod = podMembership(bundle.spec.annotations, args.id, bundle.configFile);
    const store = new StateStore(await this.stateRoot(g));
    // Namespace paths: only another container of the pod can be joined (in the guest); refused before any VM boots.
    await podNamespaces(bundle.spec, bundle.configFile, pod ? store : undefined, pod);
    const ownStdio = consoleSocket === undefined;
    if (pod) {
      await assertIdFree(store, args.id);
      const member: MemberOptions = { id: args.id, bundle: bundle.dir, root: store.root, sandboxId: pod.sandboxId, annotation: pod.annotation, debug: g.debug, log: g.log && resolve(g.log), consoleSocket };
      await spawnHolder(store, args.id, MEMBER_HOLDER, member, ownStdio, pidFile, () => store.remove(args.id));
    } else {
      const opts: HolderOptions = { id: args.id, bundle: bundle.dir, root: store.root, config: g.config && resolve(g.config), debug: g.debug, log: g.log && resolve(g.log), consoleSocket };
      await spawnHolder(store, args.id, HOLDER, opts, ownStdio, pidFile, async () => makeSandboxService(await this.runtime(g)).forceDelete(args.id));
    }
  }
}
