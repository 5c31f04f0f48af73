#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Write cli/oclif.manifest.json so oclif knows every command's flags without requiring each command file at
// start-up (only the command that runs is loaded). The same thing `oclif manifest` does, without that package.
'use strict';
const { writeFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { Plugin } = require('@oclif/core');

async function main() {
  const root = join(__dirname, '..', 'cli');
  const file = join(root, 'oclif.manifest.json');
  rmSync(file, { force: true });
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
  await plugin.load();
  const count = Object.keys(plugin.manifest.commands).length;
  if (count === 0) throw new Error('no commands found in cli/dist/commands');
  writeFileSync(file, JSON.stringify(plugin.manifest, undefined, 1));
}
main().catch((err) => {
  process.stderr.write(`oclif-manifest: ${err.stack || err}\n`);
  process.exit(1);
});
