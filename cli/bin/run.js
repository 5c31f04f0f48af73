#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
'use strict';
const { globalsAfterCommand } = require('./argv.js');
// First of all: a stdout/stderr we cannot write (read-only /dev/null, a closed pipe) must not kill us.
const { dropOtherStdioErrorListeners, guardStdio, logFlag } = require('../dist/safe-stdio.js');
guardStdio(logFlag(process.argv.slice(2)), 'cella');

const argv = globalsAfterCommand(process.argv.slice(2));
// Fast path: `cella --version` needs nothing but package.json (same text as oclif prints).
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
  const pkg = require('../package.json');
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  require('./seal-fds.js');
  // Compile cache: later starts skip V8's parse/compile (Node >= 22.1; a no-op before).
  try { require('node:module').enableCompileCache?.(); } catch { /* older Node */ }
  // containerd, setpriv and init systems may start us with no HOME or SHELL, as a uid with no
  // passwd entry: oclif (and a module it loads) ask the OS then and throw. Cella reads nothing
  // from the home folder, so a neutral value is enough.
  if (!process.env.HOME) { try { require('node:os').homedir(); } catch { process.env.HOME = '/'; } }
  if (!process.env.SHELL) process.env.SHELL = '/bin/sh';
  const full = () => {
    const oclif = require('@oclif/core');
    dropOtherStdioErrorListeners();
    // No user-installed oclif plugins: Cella's plugins are npm packages named by its config.
    oclif.execute({ args: argv, loadOptions: { root: __dirname, userPlugins: false } }).catch(oclif.handle);
  };
  // `state` and `list` with --root, as engines call them, and `config show` skip oclif (see src/fast-path.ts).
  const raw = process.argv.slice(2);
  if (raw.includes('--root') || raw.some((a) => a.startsWith('--root=')) || (raw[0] === 'config' && raw[1] === 'show')) {
    require('../dist/fast-path').fastPath(raw).then((done) => { if (!done) full(); }, full);
  } else {
    full();
  }
}
