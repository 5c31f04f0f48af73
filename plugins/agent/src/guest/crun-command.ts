// SPDX-License-Identifier: Apache-2.0

/**
 * The crun command lines the agent runs. `prefix` is the crun binary (default `crun` on PATH); tests point
 * it at a stand-in that speaks the same arguments.
 */
export class CrunCommand {
  /**
   * `stateRoot`: where crun keeps its containers' state (its default `/run/crun` for the real binary; none for
   * a stand-in), so the agent can tell when crun has fully made a container.
   */
  constructor(private readonly prefix: readonly string[] = ['crun'], readonly stateRoot: string | undefined = prefix[0] === 'crun' && prefix.length === 1 ? '/run/crun' : undefined) {}

  /** The file crun writes once a container exists (exec and kill read it), if known. */
  statusFile(id: string): string | undefined {
    return this.stateRoot === undefined ? undefined : `${this.stateRoot}/${id}/status`;
  }

  /**
   * Foreground run: crun stays the parent of the container and exits with its status (128+n on signal n).
   * crun's own errors also go to `logFile` as JSON lines (they reach the container's stderr too).
   */
  run(id: string, bundleDir: string, noPivot: boolean, pidFile: string, logFile: string, consoleSocket?: string): string[] {
    return [...this.prefix, ...logArgs(logFile), 'run', '--bundle', bundleDir, '--pid-file', pidFile, ...(noPivot ? ['--no-pivot'] : []), ...consoleArgs(consoleSocket), id];
  }

  /**
   * `crun create` of the bundle with the config file `configFile` (the probe, see crun-probe.ts): crun does
   * everything but running the process, and exits non-zero with its reason in `logFile` when it refuses.
   */
  create(id: string, bundleDir: string, configFile: string, noPivot: boolean, logFile: string): string[] {
    return [...this.prefix, ...logArgs(logFile), 'create', '--bundle', bundleDir, '--config', configFile, ...(noPivot ? ['--no-pivot'] : []), id];
  }

  /** Foreground exec; `pidFile` receives the pid of the process inside the container; crun's errors go to `logFile`. */
  exec(id: string, processFile: string, pidFile: string, logFile: string, consoleSocket?: string): string[] {
    return [...this.prefix, ...logArgs(logFile), 'exec', '--process', processFile, '--pid-file', pidFile, ...consoleArgs(consoleSocket), id];
  }

  kill(id: string, signal: number): string[] {
    return [...this.prefix, 'kill', id, String(signal)];
  }

  delete(id: string): string[] {
    return [...this.prefix, 'delete', '-f', id];
  }
}

/** crun's global options that put its errors in `file`, one JSON object a line (`{"msg":…,"level":"error"}`). */
function logArgs(file: string): string[] {
  return [`--log=file:${file}`, '--log-format=json'];
}

/** A terminal process: crun sends the pty master it makes to this socket (crun accepts it in the foreground too). */
function consoleArgs(socket: string | undefined): string[] {
  return socket === undefined ? [] : ['--console-socket', socket];
}
