// SPDX-License-Identifier: Apache-2.0
/**
 * A stand-in for crun in tests (fake: no VM, no rootfs): speaks the argument shapes the agent uses,
 * `[--root DIR] [--log=file:F --log-format=json] run --bundle B [--no-pivot] ID`, `create --bundle B --config F ID`
 * (checks only), `exec --process F --pid-file P ID`, `kill ID SIG`, `delete -f ID`, and runs `process.args` of the
 * bundle as a real host process, staying its parent and exiting with its status (128+n when killed by signal n),
 * as `crun run` does. Like crun 1.8.1 it refuses an `ociVersion` other than 1.0.x or 1.1.x (logged as crun logs it).
 * State: `<root>/<id>.pid` (the container process) and `<root>/<id>.argv` (the run arguments).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

let logFile: string | undefined;

function fail(message: string): never {
  process.stderr.write(`fake-crun: ${message}\n`);
  if (logFile) appendFileSync(logFile, `${JSON.stringify({ msg: message, level: 'error' })}\n`);
  process.exit(1);
}

function readSpec(file: string): { ociVersion?: string; process: { args: string[]; env?: string[] } } {
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  if (!/^1\.[01]\./.test(String(spec.ociVersion))) fail('unknown version specified');
  return spec;
}

function runChild(argv: string[], env: string[] | undefined, pidFile: string, cleanup: () => void, askedPidFile?: string): void {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: 'inherit',
    env: env ? Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : process.env,
  });
  child.on('error', (err) => fail(`cannot start ${argv[0]}: ${err.message}`));
  child.on('spawn', () => {
    writeFileSync(pidFile, String(child.pid));
    if (askedPidFile) writeFileSync(askedPidFile, String(child.pid));
  });
  child.on('exit', (code, signal) => {
    cleanup();
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}

function main(): void {
  let args = process.argv.slice(2);
  const root = args[0] === '--root' ? args[1]! : '/tmp/fake-crun';
  if (args[0] === '--root') args = args.slice(2);
  for (; args[0]?.startsWith('--log'); args = args.slice(1)) {
    if (args[0].startsWith('--log=file:')) logFile = args[0].slice('--log=file:'.length);
  }
  const [cmd, ...rest] = args;
  const id = rest[rest.length - 1]!;
  const pidFile = join(root, `${id}.pid`);
  switch (cmd) {
    case 'run': {
      const bundle = option(rest, '--bundle') ?? fail('no --bundle');
      const spec = readSpec(join(bundle, 'config.json'));
      writeFileSync(join(root, `${id}.argv`), JSON.stringify(process.argv.slice(2)));
      const asked = option(rest, '--pid-file');
      return runChild(spec.process.args, spec.process.env, pidFile, () => rmSync(pidFile, { force: true }), asked);
    }
    case 'create': {
      readSpec(option(rest, '--config') ?? join(option(rest, '--bundle') ?? fail('no --bundle'), 'config.json'));
      return;
    }
    case 'exec': {
      if (!existsSync(pidFile)) fail(`container ${id} does not exist`);
      const proc = JSON.parse(readFileSync(option(rest, '--process') ?? fail('no --process'), 'utf8'));
      return runChild(proc.args, proc.env, option(rest, '--pid-file') ?? fail('no --pid-file'), () => undefined);
    }
    case 'kill': {
      if (!existsSync(join(root, `${rest[0]}.pid`))) fail(`container ${rest[0]} is not running`);
      process.kill(Number(readFileSync(join(root, `${rest[0]}.pid`), 'utf8')), Number(rest[1] ?? 15));
      return;
    }
    case 'delete': {
      if (existsSync(pidFile)) {
        try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); } catch { /* gone already */ }
      }
      return;
    }
    default:
      fail(`unknown command ${String(cmd)}`);
  }
}

main();
