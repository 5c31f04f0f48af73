// SPDX-License-Identifier: Apache-2.0
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { E } from '@cella/core/errors';
import { jsonErrorOffset, lineColumn } from './json-error-offset';

export type ConfigFormat = 'toml' | 'json';

/** The format a config file name implies, or `undefined` for an unsupported extension. */
export function configFormatOf(file: string): ConfigFormat | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.toml' ? 'toml' : ext === '.json' ? 'json' : undefined;
}

/**
 * Read and parse one config file (main file or drop-in). The top level must be a table.
 * Throws E_CONFIG_PARSE (unsupported extension, unreadable, syntax error with line and column)
 * and E_CONFIG_NOT_FOUND (the file vanished between listing and reading).
 */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const format = configFormatOf(file);
  if (!format) {
    throw E.CONFIG_PARSE.create(`Config file ${file} has an unsupported format.`, {
      details: { file, extension: extname(file), allowed: ['.toml', '.json'] },
      hint: 'Write the config as a .toml or .json file.',
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw E.CONFIG_NOT_FOUND.create(`Config file ${file} does not exist.`, { cause: err, details: { file } });
    }
    throw E.CONFIG_PARSE.create(`Config file ${file} cannot be read.`, { cause: err, details: { file, errno: code } });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // editors on other systems write a BOM
  const data = format === 'toml' ? parseToml(file, text) : parseJson(file, text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw E.CONFIG_PARSE.create(`Config file ${file} does not hold an object at its top level.`, {
      details: { file, line: 1, column: 1 },
    });
  }
  return data as Record<string, unknown>;
}

function parseToml(file: string, text: string): unknown {
  // Loaded here, not at the top: commands whose config is all defaults never pay for the parser.
  const toml = require('smol-toml') as typeof import('smol-toml');
  try {
    return toml.parse(text);
  } catch (err) {
    const { line, column } = err instanceof toml.TomlError ? err : { line: undefined, column: undefined };
    throw syntaxError(file, 'TOML', err, line, column);
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    let offset = jsonErrorOffset(text);
    if (offset < 0) {
      const match = /position (\d+)/.exec((err as Error).message);
      offset = match ? Number(match[1]) : text.length;
    }
    const { line, column } = lineColumn(text, offset);
    throw syntaxError(file, 'JSON', err, line, column);
  }
}

function syntaxError(file: string, format: string, cause: unknown, line?: number, column?: number): Error {
  const where = line === undefined ? '' : ` at line ${line}, column ${column}`;
  return E.CONFIG_PARSE.create(`Config file ${file} is not valid ${format}${where}.`, {
    cause,
    details: line === undefined ? { file, format: format.toLowerCase() } : { file, format: format.toLowerCase(), line, column },
    hint: `Fix the ${format} syntax of ${file}.`,
  });
}
