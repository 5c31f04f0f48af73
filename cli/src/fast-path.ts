// SPDX-License-Identifier: Apache-2.0
import { formatList, ociStateJson, StateStore } from '@cella/core/oci-state';
import { listEntries, ociRecord, viewContainer } from './container-view';

/**
 * Engines poll `state` (and call `list`) often, always with `--root`: those two are answered here without
 * oclif, the config or the plugins, which cost several times Node's own start-up. Only the plain forms are
 * taken — `--root R state ID`, `--root R list [--format|-f table|json] [--quiet|-q]`, flags in any
 * order and with `=`, plus the globals engines always pass (`--log`, `--log-format`, `--debug`,
 * `--systemd-cgroup`); anything else, and every failure (an unknown id…), returns false so the full CLI
 * runs and reports it in its usual shape. Nothing is written unless the whole answer is ready.
 */
export async function fastPath(argv: readonly string[]): Promise<boolean> {
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
