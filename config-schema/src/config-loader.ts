// SPDX-License-Identifier: Apache-2.0
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { E } from '@cella/core/errors';
import { DEFAULT_CONFIG_PATH } from './core-schema';
import { configFormatOf, readConfigFile } from './config-file';
import { mergeConfig } from './config-merge';

/** The merged, not yet validated config and where each value came from. */
export interface RawConfig {
  /** The main file, absolute; `undefined` when running on built-in defaults. */
  file?: string;
  /** Where the main file's name came from (`default`: the default path, or no file at all). */
  source: ConfigSource;
  /** Drop-in files applied, absolute, in the order applied. */
  dropIns: string[];
  data: Record<string, unknown>;
  /** JSON pointer (`/sandbox/default_vcpus`) → the file that last set it. */
  origins: Map<string, string>;
}

export interface LoadConfigOptions {
  /** The `--config` flag. */
  configPath?: string;
  /** Defaults to `process.env`; `CELLA_CONFIG` names the main file when the flag is absent. */
  env?: NodeJS.ProcessEnv;
  /** The host path used when neither names a file (tests point it into a temp folder). */
  defaultPath?: string;
}

/** Where the main file's name came from. */
export type ConfigSource = 'flag' | 'CELLA_CONFIG' | 'default';

const SOURCE_LABEL: Record<Exclude<ConfigSource, 'default'>, string> = {
  flag: 'the --config flag',
  CELLA_CONFIG: 'CELLA_CONFIG',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

// A named directory or unreadable file "exists": reading it then reports the real problem.
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

async function pickMainFile(options: LoadConfigOptions): Promise<{ file?: string; source: ConfigSource }> {
  const env = options.env ?? process.env;
  const named: [string | undefined, Exclude<ConfigSource, 'default'>][] = [
    [options.configPath, 'flag'],
    [env.CELLA_CONFIG, 'CELLA_CONFIG'],
  ];
  for (const [name, source] of named) {
    if (!name) continue;
    const file = resolve(name);
    if (!(await exists(file))) {
      throw E.CONFIG_NOT_FOUND.create(`Config file ${file} named by ${SOURCE_LABEL[source]} does not exist.`, {
        details: { file, source },
        hint: source === 'flag' ? 'Check the path given to --config.' : 'Check the path in CELLA_CONFIG or unset it.',
      });
    }
    return { file, source };
  }
  const fallback = resolve(options.defaultPath ?? DEFAULT_CONFIG_PATH);
  return (await exists(fallback)) ? { file: fallback, source: 'default' } : { source: 'default' };
}

/** Drop-in files of `dir`, sorted by name (byte order, not locale): `*.toml` and `*.json` regular files only. */
async function listDropIns(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw E.CONFIG_PARSE.create(`Drop-in folder ${dir} cannot be read.`, { cause: err, details: { file: dir, errno: code } });
  }
  const out: string[] = [];
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = join(dir, name);
    // Editors and package managers leave other files here (`*.rpmsave`, `README`): those are skipped.
    if (configFormatOf(name) && (await isFile(path))) out.push(path);
  }
  return out;
}

/**
 * Find, parse and merge the config. Precedence: `configPath` (flag) → `env.CELLA_CONFIG` →
 * `defaultPath` (`/etc/cella/config.toml`, only if it exists) → built-in defaults (no file).
 * Then every `config.d/*.{toml,json}` beside the main file (beside `defaultPath` when there is no main
 * file) is merged in file-name order. Throws E_CONFIG_NOT_FOUND for a named file that does not exist and
 * E_CONFIG_PARSE for unsupported formats and syntax errors (with file, line and column).
 */
export async function loadRawConfig(options: LoadConfigOptions = {}): Promise<RawConfig> {
  const { file, source } = await pickMainFile(options);
  const data: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  if (file) mergeConfig(data, await readConfigFile(file), file, origins);
  const dropInDir = join(dirname(file ?? resolve(options.defaultPath ?? DEFAULT_CONFIG_PATH)), 'config.d');
  const dropIns = await listDropIns(dropInDir);
  for (const dropIn of dropIns) mergeConfig(data, await readConfigFile(dropIn), dropIn, origins);
  return file ? { file, source, dropIns, data, origins } : { source, dropIns, data, origins };
}
