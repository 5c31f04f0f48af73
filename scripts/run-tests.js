#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Runs the mocha suites by tier and ends with the one line CI reads: `N passed, N failed`.
//   unit: **/dist/**/*.test.js (not .int.)   int: **/dist/**/*.int.test.js   e2e: test/dist/e2e/*.e2e.test.js
'use strict';
const mochaModule = require('mocha');
const Mocha = mochaModule.Mocha ?? mochaModule.default ?? mochaModule;
const { readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const tierArg = args.indexOf('--tier');
const tiers = tierArg >= 0 ? args[tierArg + 1].split(',') : ['unit', 'int', 'e2e'];
const grepArg = args.indexOf('--grep');

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    if (n === 'node_modules' || n.startsWith('.')) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.test.js') && p.includes(`${join('/', 'dist', '/')}`.replace('//', '/'))) out.push(p);
  }
  return out;
}

function tierOf(file) {
  if (file.endsWith('.e2e.test.js')) return 'e2e';
  if (file.endsWith('.int.test.js')) return 'int';
  return 'unit';
}

const files = ['core', 'config-schema', 'cli', 'plugins', 'test']
  .flatMap((d) => walk(join(root, d), []))
  .filter((f) => f.includes('/dist/'))
  .filter((f) => tiers.includes(tierOf(f)))
  .sort((a, b) => ['unit', 'int', 'e2e'].indexOf(tierOf(a)) - ['unit', 'int', 'e2e'].indexOf(tierOf(b)) || a.localeCompare(b));

const mocha = new Mocha({ forbidOnly: true, timeout: 20000, reporter: 'spec' });
if (grepArg >= 0) mocha.grep(args[grepArg + 1]);
for (const f of files) mocha.addFile(f);
process.stderr.write(`running ${files.length} test files (${tiers.join(', ')})\n`);
if (files.length === 0) {
  process.stdout.write('0 passed, 1 failed\n');
  process.stderr.write('no test files found: did the build run?\n');
  process.exit(1);
}

let passed = 0;
let failed = 0;
mocha.loadFilesAsync().then(() => {
  const runner = mocha.run(() => {
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
    process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
    // A test that timed out may leave a child or a socket behind: CI must not wait on it.
    setTimeout(() => process.exit(), 3000).unref();
  });
  runner.on('pass', () => { passed++; });
  runner.on('fail', () => { failed++; });
}, (err) => {
  process.stderr.write(`cannot load the tests: ${err.stack || err}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
});
