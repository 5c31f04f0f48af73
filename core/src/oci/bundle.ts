// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { E } from '../errors/codes';
import { checkNetworkNamespaces } from './network-namespace';
import type { OciSpec } from './spec';
import { readSpecFile } from './spec-file';
import { validateSpec } from './spec-validator';

export interface Bundle {
  /** Absolute bundle folder. */
  dir: string;
  configFile: string;
  spec: OciSpec;
  /** Absolute host path of root.path. */
  rootfs: string;
}

/**
 * Read and validate `<dir>/config.json` (OCI runtime-spec): read safely (spec-file.ts), the whole spec validated
 * (spec-validator.ts), the rootfs folder and the network namespace path checked on the host. Creates nothing, so
 * a bad bundle is refused before any VM boots.
 */
export async function readBundle(dirArg: string): Promise<Bundle> {
  const dir = resolve(dirArg);
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st) throw E.BUNDLE_NOT_FOUND.create('The bundle folder does not exist', { details: { bundle: dir } });
  if (!st.isDirectory()) throw E.BUNDLE_INVALID.create('The bundle path is not a folder', { details: { bundle: dir } });
  const configFile = join(dir, 'config.json');
  let spec: unknown;
  try {
    spec = await readSpecFile(configFile, "The bundle's config.json");
  } catch (err) {
    if ((err as { code?: string }).code !== E.BUNDLE_NOT_FOUND.code) throw err;
    throw E.BUNDLE_NOT_FOUND.create('The bundle has no config.json', { details: { file: configFile }, hint: 'Create one with `cella spec` or `runc spec`.' });
  }
  validateSpec(spec, configFile);
  const rootfs = isAbsolute(spec.root!.path) ? spec.root!.path : join(dir, spec.root!.path);
  const rst = await fs.stat(rootfs).catch(() => undefined);
  if (!rst?.isDirectory()) {
    throw E.BUNDLE_INVALID.create("The bundle's config.json is invalid: root.path does not name an existing folder", { details: { file: configFile, field: 'root.path', path: rootfs } });
  }
  await checkNetworkNamespaces(spec, configFile);
  return { dir, configFile, spec, rootfs };
}
