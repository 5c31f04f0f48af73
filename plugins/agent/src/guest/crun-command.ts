// SPDX-License-Identifier: Apache-2.0

/**
 * The crun command lines the agent runs. `prefix` is the crun binary (default `crun` on PATH); tests point
 * it at a stand-in that speaks the same arguments.
 */
export class CrunCommand {
  constructor(private readonly prefix: readonly string[] = ['crun']) {}

  /** Foreground run: crun stays the parent of the container and exits with its status (128+n on signal n). */
  run(id: string, bundleDir: string, noPivot: boolean): string[] {
    return [...this.prefix, 'run', '--bundle', bundleDir, ...(noPivot ? ['--no-pivot'] : []), id];
  }

  /** Foreground exec; `pidFile` receives the pid of the process inside the container. */
  exec(id: string, processFile: string, pidFile: string): string[] {
    return [...this.prefix, 'exec', '--process', processFile, '--pid-file', pidFile, id];
  }

  kill(id: string, signal: number): string[] {
    return [...this.prefix, 'kill', id, String(signal)];
  }

  delete(id: string): string[] {
    return [...this.prefix, 'delete', '-f', id];
  }
}
