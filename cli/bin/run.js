#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
'use strict';
const { globalsAfterCommand } = require('./argv.js');

const argv = globalsAfterCommand(process.argv.slice(2));
// Fast path: `cella --version` needs nothing but package.json (same text as oclif prints).
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
  const pkg = require('../package.json');
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  // Compile cache: later starts skip V8's parse/compile (Node >= 22.1; a no-op before).
  try { require('node:module').enableCompileCache?.(); } catch { /* older Node */ }
  const oclif = require('@oclif/core');
  oclif.execute({ dir: __dirname, args: argv }).catch(oclif.handle);
}
