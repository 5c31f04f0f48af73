#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// After `tsc -b`: bundle the in-guest agent into one file (it runs inside the VM with no node_modules).
'use strict';
const { join } = require('node:path');
const { existsSync } = require('node:fs');

const root = join(__dirname, '..');
const entry = join(root, 'plugins/agent/dist/guest/main.js');
const outfile = join(root, 'plugins/agent/dist/guest-agent.js');

if (!existsSync(entry)) {
  process.stderr.write(`post-build: ${entry} is missing; did tsc -b run?\n`);
  process.exit(1);
}
require('esbuild')
  .build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'none',
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));
