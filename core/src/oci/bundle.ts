// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { E } from '../errors/codes';
import type { OciProcess, OciSpec } from './spec';

export interface Bundle {
  /** Absolute bundle folder. */
  dir: string;
  configFile: string;
  spec: OciSpec;
  /** Absolute host path of root.path. */
  rootfs: string;
}

/** Largest config.json read (runc has no limit; a bound keeps a hostile bundle from eating memory). */
const MAX_CONFIG_BYTES = 16 << 20;

function invalid(file: string, field: string, problem: string, value?: unknown): never {
  throw E.BUNDLE_INVALID.create(`The bundle's config.json is invalid: ${field} ${problem}`, {
    details: { file, field, ...(value === undefined ? {} : { value }) },
  });
}

/** Read and validate `<dir>/config.json` (OCI runtime-spec). Creates nothing. */
export async function readBundle(dirArg: string): Promise<Bundle> {
  const dir = resolve(dirArg);
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st) throw E.BUNDLE_NOT_FOUND.create('The bundle folder does not exist', { details: { bundle: dir } });
  if (!st.isDirectory()) throw E.BUNDLE_INVALID.create('The bundle path is not a folder', { details: { bundle: dir } });
  const configFile = join(dir, 'config.json');
  const cst = await fs.stat(configFile).catch(() => undefined);
  if (!cst) {
    throw E.BUNDLE_NOT_FOUND.create('The bundle has no config.json', { details: { file: configFile }, hint: 'Create one with `cella spec` or `runc spec`.' });
  }
  if (cst.size > MAX_CONFIG_BYTES) invalid(configFile, '(file)', `is larger than ${MAX_CONFIG_BYTES} bytes`);
  let spec: OciSpec;
  try {
    spec = JSON.parse(await fs.readFile(configFile, 'utf8')) as OciSpec;
  } catch (cause) {
    throw E.BUNDLE_INVALID.create("The bundle's config.json is not valid JSON", { cause, details: { file: configFile } });
  }
  validateSpec(spec, configFile);
  const rootfs = isAbsolute(spec.root!.path) ? spec.root!.path : join(dir, spec.root!.path);
  const rst = await fs.stat(rootfs).catch(() => undefined);
  if (!rst?.isDirectory()) invalid(configFile, 'root.path', 'does not name an existing folder', rootfs);
  return { dir, configFile, spec, rootfs };
}

export function validateSpec(spec: OciSpec, file: string): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) invalid(file, '(top level)', 'must be a JSON object');
  if (typeof spec.ociVersion !== 'string') invalid(file, 'ociVersion', 'must be a string', spec.ociVersion);
  if (typeof spec.root !== 'object' || spec.root === null || typeof spec.root.path !== 'string' || spec.root.path === '') {
    invalid(file, 'root.path', 'must be a non-empty string', spec.root?.path);
  }
  if (typeof spec.process !== 'object' || spec.process === null) invalid(file, 'process', 'is missing');
  validateProcess(spec.process, file, 'process');
  if (spec.mounts !== undefined) {
    if (!Array.isArray(spec.mounts)) invalid(file, 'mounts', 'must be an array');
    spec.mounts.forEach((m, i) => {
      if (typeof m?.destination !== 'string' || !m.destination.startsWith('/')) invalid(file, `mounts[${i}].destination`, 'must be an absolute path', m?.destination);
      if (m.options !== undefined && (!Array.isArray(m.options) || m.options.some((o) => typeof o !== 'string'))) invalid(file, `mounts[${i}].options`, 'must be an array of strings');
    });
  }
  if (spec.hostname !== undefined && typeof spec.hostname !== 'string') invalid(file, 'hostname', 'must be a string', spec.hostname);
}

/** Validate an OCI process object (config.json's `process`, or `exec --process`). */
export function validateProcess(p: OciProcess, file: string, at: string): void {
  if (!Array.isArray(p.args) || p.args.length === 0) invalid(file, `${at}.args`, 'must be a non-empty array of strings', p.args);
  if (p.args.some((a) => typeof a !== 'string')) invalid(file, `${at}.args`, 'must hold only strings');
  if (typeof p.cwd !== 'string' || !p.cwd.startsWith('/')) invalid(file, `${at}.cwd`, 'must be an absolute path', p.cwd);
  if (p.env !== undefined && (!Array.isArray(p.env) || p.env.some((e) => typeof e !== 'string'))) invalid(file, `${at}.env`, 'must be an array of strings');
  if (typeof p.user !== 'object' || p.user === null || !Number.isInteger(p.user.uid) || !Number.isInteger(p.user.gid)) {
    invalid(file, `${at}.user`, 'must have integer uid and gid', p.user);
  }
  if (p.terminal !== undefined && typeof p.terminal !== 'boolean') invalid(file, `${at}.terminal`, 'must be a boolean', p.terminal);
}
