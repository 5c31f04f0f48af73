// SPDX-License-Identifier: Apache-2.0
/** Test helper: a throw-away network namespace (`ip netns add cella-sriov-<random>`), built with `ip -n`. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export class TestNetns {
  readonly path: string;

  private constructor(readonly name: string) {
    this.path = `/var/run/netns/${name}`;
  }

  static create(): TestNetns {
    const ns = new TestNetns(`cella-sriov-${randomBytes(4).toString('hex')}`);
    execFileSync('ip', ['netns', 'add', ns.name], { stdio: 'pipe' });
    return ns;
  }

  /** `ip -n <name> <args…>`; returns stdout. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Removes the namespace (safe to call twice). */
  remove(): void {
    if (existsSync(this.path)) execFileSync('ip', ['netns', 'del', this.name], { stdio: 'pipe' });
  }
}
