// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCellaError } from '@cella/core/errors';
import { composeSchema, validateConfig } from './config-validator';
import type { RawConfig } from './config-loader';

const raw = (data: Record<string, unknown>): RawConfig => ({ data, origins: new Map(), dropIns: [] } as unknown as RawConfig);
const FRAGMENT = { type: 'object', properties: { size: { type: 'integer', minimum: 1, default: 4 } } };

/** A validator kept as a file must accept, fill defaults and refuse exactly as the compiled one. */
describe('ValidatorCache (compiled config validators kept on disk)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cella-validators-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const files = (): string[] => (existsSync(join(dir, 'config-validators')) ? readdirSync(join(dir, 'config-validators')) : []);

  it('writes the validator once; a new process (a new schema object) loads it and gets the same defaults and problems', () => {
    const first = validateConfig(raw({ plugins: { 'x.y': { size: 2 } } }), composeSchema({ 'x.y': FRAGMENT }), dir);
    assert.equal(files().length, 1);
    const again = validateConfig(raw({ plugins: { 'x.y': { size: 2 } } }), composeSchema({ 'x.y': FRAGMENT }), dir);
    assert.deepEqual(again, first);
    assert.equal((again.plugins['x.y'] as { size: number }).size, 2);
    assert.equal(again.sandbox.default_vcpus, 1, 'defaults filled in');
    // The next process really runs the kept file: a change made to it shows.
    const file = join(dir, 'config-validators', files()[0]!);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\.size = 4;/g, '.size = 5;'));
    delete require.cache[file];
    assert.equal((validateConfig(raw({}), composeSchema({ 'x.y': FRAGMENT }), dir).plugins['x.y'] as { size: number }).size, 5);
    delete require.cache[file];
    rmSync(file);
    const refuse = (cacheDir?: string): string => {
      try {
        validateConfig(raw({ sandbox: { default_vcpus: 'two' }, plugins: { 'x.y': { size: 0 } } }), composeSchema({ 'x.y': FRAGMENT }), cacheDir);
      } catch (err) {
        assert.ok(isCellaError(err, 'E_CONFIG_INVALID'));
        return err.message;
      }
      return 'accepted';
    };
    assert.equal(refuse(dir), refuse(undefined), 'the kept validator reports what the compiled one reports');
    assert.match(refuse(dir), /sandbox\.default_vcpus: must be integer/);
    assert.match(refuse(dir), /plugins\."x\.y"\.size: must be >= 1/);
  });

  it('compiles (and rewrites the file) when the kept one is broken; a folder it cannot write is no error', () => {
    validateConfig(raw({}), composeSchema({ 'x.y': FRAGMENT }), dir);
    const [file] = files();
    writeFileSync(join(dir, 'config-validators', file!), 'this is not javascript {');
    delete require.cache[join(dir, 'config-validators', file!)];
    const cfg = validateConfig(raw({}), composeSchema({ 'x.y': FRAGMENT }), dir);
    assert.equal((cfg.plugins['x.y'] as { size: number }).size, 4);
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    assert.equal(validateConfig(raw({}), composeSchema({ 'x.y': FRAGMENT }), blocked).sandbox.default_vcpus, 1);
  });
});
