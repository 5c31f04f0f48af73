// SPDX-License-Identifier: Apache-2.0
'use strict';
// Engines call runtimes as runc: `cella --root R --log F --log-format json create …`, global flags first.
// oclif wants flags after the command, so leading global flags are moved behind the command id (the longest
// run of words that names a command in the oclif manifest).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--config', '--criu', '--rootless']);
const BOOLEAN = new Set(['--debug', '--systemd-cgroup']);

function commandIds() {
  try {
    return new Set(Object.keys(JSON.parse(readFileSync(join(__dirname, '..', 'oclif.manifest.json'), 'utf8')).commands));
  } catch {
    return new Set();
  }
}

function globalsAfterCommand(args) {
  const globals = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i];
    const name = a.split('=')[0];
    if (WITH_VALUE.has(name)) {
      globals.push(a);
      if (!a.includes('=') && i + 1 < args.length) globals.push(args[++i]);
      i++;
    } else if (BOOLEAN.has(name)) {
      globals.push(a);
      i++;
    } else {
      break;
    }
  }
  if (globals.length === 0) return args;
  const rest = args.slice(i);
  const ids = commandIds();
  let words = 0;
  for (let n = 1; n <= Math.min(3, rest.length); n++) if (ids.has(rest.slice(0, n).join(':'))) words = n;
  if (words === 0) return [...rest, ...globals];
  return [...rest.slice(0, words), ...globals, ...rest.slice(words)];
}

module.exports = { globalsAfterCommand };
