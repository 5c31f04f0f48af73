// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/**
 * Throw-away network namespaces for int tests (root): `ip netns add cella-t-<random>`, commands run with
 * `ip -n`, removed by `remove()` (safe to call twice). Tests use `ip` to build their fixtures; the product
 * path never does.
 */
export class TestNetns {
  readonly path: string;

  private constructor(readonly name: string) {
    this.path = `/var/run/netns/${name}`;
  }

  static create(): TestNetns {
    const ns = new TestNetns(`cella-t-${randomBytes(4).toString('hex')}`);
    execFileSync('ip', ['netns', 'add', ns.name], { stdio: 'pipe' });
    return ns;
  }

  /** Runs `ip -n <name> <args…>` and returns its stdout. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs `ip -n <name> -batch -` with one command per line. */
  batch(lines: string[]): void {
    execFileSync('ip', ['-n', this.name, '-batch', '-'], { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Runs a program inside the namespace (`ip netns exec`). */
  exec(file: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** `ip -j` output parsed. */
  json<T = Array<Record<string, unknown>>>(...args: string[]): T {
    return JSON.parse(this.ip('-j', ...args)) as T;
  }

  remove(): void {
    if (existsSync(this.path)) execFileSync('ip', ['netns', 'del', this.name], { stdio: 'pipe' });
  }
}

/** The host namespace's links as `name mac` lines (state and counters left out: they change on their own). */
export function hostLinks(): string[] {
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; address?: string }>;
  return links.map((l) => `${l.ifname} ${l.address ?? ''}`).sort();
}
