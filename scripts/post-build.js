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
stageGuestNodeModules();

/**
 * The guest agent's netlink needs node-netlink and the native addons under it (syscall-napi,
 * buffer2address): esbuild cannot bundle `.node` files, so the packages go into the image as a small
 * node_modules beside the agent (`/cella/node_modules`). Only what runs is staged: package.json, lib/,
 * LICENSE and the built addons.
 */
function stageGuestNodeModules() {
  const fs = require('node:fs');
  const { createRequire } = require('node:module');
  const { dirname } = require('node:path');
  const out = join(root, 'plugins/agent/dist/guest-node-modules');
  fs.rmSync(out, { recursive: true, force: true });
  const seen = new Set();
  const visit = (name, from) => {
    if (seen.has(name)) return;
    seen.add(name);
    let pkgJson;
    try {
      pkgJson = createRequire(from).resolve(`${name}/package.json`);
    } catch {
      // Packages whose "exports" hide package.json: walk up from their main file.
      let dir = dirname(createRequire(from).resolve(name));
      while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
      pkgJson = join(dir, 'package.json');
    }
    const dir = dirname(pkgJson);
    const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    const dest = join(out, 'node_modules', name);
    fs.mkdirSync(dest, { recursive: true });
    for (const f of ['package.json', 'LICENSE']) if (existsSync(join(dir, f))) fs.copyFileSync(join(dir, f), join(dest, f));
    fs.cpSync(join(dir, 'lib'), join(dest, 'lib'), { recursive: true });
    const release = join(dir, 'build', 'Release');
    if (existsSync(release)) {
      const addons = fs.readdirSync(release).filter((f) => f.endsWith('.node'));
      if (addons.length === 0) {
        process.stderr.write(`post-build: ${name} has no built addon in ${release}; was npm allowed to run its install script?\n`);
        process.exit(1);
      }
      fs.mkdirSync(join(dest, 'build', 'Release'), { recursive: true });
      for (const a of addons) fs.copyFileSync(join(release, a), join(dest, 'build', 'Release', a));
    }
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, pkgJson);
  };
  visit('node-netlink', join(root, 'plugins/netlink/package.json'));
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
