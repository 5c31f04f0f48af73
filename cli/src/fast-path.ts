// SPDX-License-Identifier: Apache-2.0
import { formatList, ociStateJson, StateStore } from '@cella/core/oci-state';
import type * as ConfigSchemaModule from '@cella/config-schema';
import { listEntries, ociRecord, viewContainer } from './container-view';
import type * as RuntimeModule from './runtime';

/**
 * Engines poll `state` (and call `list`) often, always with `--root`: those two are answered here without
 * oclif, the config or the plugins, which cost several times Node's own start-up. Only the plain forms are
 * taken — `--root R state ID`, `--root R list [--format|-f table|json] [--quiet|-q]`, flags in any
 * order and with `=`, plus the globals engines always pass (`--log`, `--log-format`, `--debug`,
 * `--systemd-cgroup`); anything else, and every failure (an unknown id…), returns false so the full CLI
 * runs and reports it in its usual shape. Nothing is written unless the whole answer is ready.
 */
export async function fastPath(argv: readonly string[]): Promise<boolean> {
  if (argv[0] === 'config' && argv[1] === 'show') return configShow(argv.slice(2));
  const parsed = parse(argv);
  if (!parsed) return false;
  const store = new StateStore(parsed.root);
  try {
    let out: string;
    if (parsed.command === 'state') {
      out = ociStateJson(ociRecord(await viewContainer(store, parsed.id!)));
    } else {
      out = formatList(await listEntries(store), parsed.format, parsed.quiet);
    }
    process.stdout.write(out);
    return true;
  } catch {
    return false;
  }
}

/**
 * `config show [--json] [--config FILE]` (also measured by the bench): the same text as the command, without
 * oclif. The config, its validation and its errors are the full path's own code; any failure goes there.
 */
async function configShow(argv: readonly string[]): Promise<boolean> {
  let json = false;
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.startsWith('--') && argv[i]!.includes('=') ? argv[i]!.split(/=(.*)/s) : [argv[i]!, undefined];
    if (flag === '--json' && inline === undefined) json = true;
    else if (flag === '--config') config = inline ?? argv[++i];
    else return false;
    if (flag === '--config' && !config) return false;
  }
  try {
    // Loaded here, not at the top: `state` and `list` need neither.
    const { loadValidatedConfig } = require('./runtime') as typeof RuntimeModule;
    const { formatConfig } = require('@cella/config-schema') as typeof ConfigSchemaModule;
    const text = formatConfig((await loadValidatedConfig({ config })).config, json ? 'json' : 'toml');
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return true;
  } catch {
    return false;
  }
}

interface Parsed { root: string; command: 'state' | 'list'; id?: string; format: 'table' | 'json'; quiet: boolean }

function parse(argv: readonly string[]): Parsed | undefined {
  let root: string | undefined;
  let command: 'state' | 'list' | undefined;
  let id: string | undefined;
  let format: string = 'table';
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.startsWith('--') && argv[i]!.includes('=') ? argv[i]!.split(/=(.*)/s) : [argv[i]!, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--root') root = value();
    // Engines pass these on every call; on success there is nothing to log, a failure goes to the full CLI.
    else if (flag === '--log' || flag === '--log-format') value();
    else if ((flag === '--debug' || flag === '--systemd-cgroup') && inline === undefined) continue;
    else if (command === 'list' && (flag === '--format' || flag === '-f')) format = value() ?? '';
    else if (command === 'list' && (flag === '--quiet' || flag === '-q') && inline === undefined) quiet = true;
    else if (flag.startsWith('-')) return undefined;
    else if (command === undefined && (flag === 'state' || flag === 'list')) command = flag;
    else if (command === 'state' && id === undefined) id = flag;
    else return undefined;
  }
  if (!root || !command || (command === 'state' && !id) || (format !== 'table' && format !== 'json')) return undefined;
  return { root, command, id, format, quiet };
}
