// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import { truncateForLog } from '@cella/core';
import { ImageErrors, SETUP_HINT } from './image-errors';

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit statuses that count as success (default `[0]`). */
  okStatus?: number[];
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a host tool to completion and collect its output. Throws E_IMAGE_TOOL when the tool is not
 * installed or ends with a status outside `okStatus` (details carry the command and its stderr).
 */
export function runCommand(file: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const okStatus = options.okStatus ?? [0];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(ImageErrors.IMAGE_TOOL.create(e.code === 'ENOENT' ? 'A host tool is not installed' : 'A host tool could not be started', {
        cause: e,
        details: { tool: file },
        hint: SETUP_HINT,
      }));
    });
    child.on('close', (code, signal) => {
      const result: CommandResult = {
        status: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (code !== null && okStatus.includes(code)) {
        resolve(result);
        return;
      }
      reject(ImageErrors.IMAGE_TOOL.create('A host tool failed', {
        details: {
          command: [file, ...args].join(' '),
          status: code ?? undefined,
          signal: signal ?? undefined,
          stderr: truncateForLog(result.stderr.trim()),
        },
      }));
    });
  });
}
