// SPDX-License-Identifier: Apache-2.0
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { E } from '@cella/core';

/**
 * `--pid-file` is written once the container is made; a path that cannot take it (a folder, a missing or
 * read-only parent) would then fail a create whose VM already booted (issue #10 item 5). So it is checked
 * before anything is made, and the error names the flag and the path. Returns the absolute path.
 */
export function checkPidFile(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = resolve(value);
  const refuse = (why: string): never => {
    throw E.INVALID_ARGUMENT.create(`${flag} cannot be written: ${why}`, { details: { flag, path } });
  };
  let st;
  try { st = statSync(path); } catch { st = undefined; }
  if (st?.isDirectory()) refuse('it is a directory');
  const parent = dirname(path);
  let pst;
  try { pst = statSync(parent); } catch { return refuse(`its folder ${parent} does not exist`); }
  if (!pst.isDirectory()) refuse(`${parent} is not a directory`);
  try { accessSync(parent, constants.W_OK); } catch { refuse(`its folder ${parent} is not writable`); }
  return path;
}
