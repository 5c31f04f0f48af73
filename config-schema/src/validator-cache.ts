// SPDX-License-Identifier: Apache-2.0
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { default as Ajv, ValidateFunction } from 'ajv';

/** Bump when the generated code's shape or the ajv options change. */
const FORMAT = 1;
/** Validators kept: one per composed schema (a plugin upgrade or another plugin set makes a new one). */
const KEEP = 20;

/**
 * Compiled config validators as JavaScript files (ajv's standalone code) under `<cache>/config-validators/`, keyed by
 * the schema, the ajv version and install location: a command that validates the config `require`s the file
 * (a few ms) instead of loading ajv and compiling (~35 ms; the CLI's whole start is ~60). Every failure — no
 * cache folder, not writable, a broken file — falls back to compiling, which is always right.
 * The files are code the CLI runs: they live in the cache folder the config names, which is written by the same
 * user that runs the CLI (root's /var/cache/cella by default); whoever can name that folder can name plugin
 * packages by path too, so this trusts no one new.
 */
export class ValidatorCache {
  constructor(private readonly dir: string) {}

  /** The file for `schema`. */
  file(schema: object): string {
    const ajvPkg = require.resolve('ajv/package.json');
    const version = (require(ajvPkg) as { version: string }).version;
    const key = createHash('sha256').update(JSON.stringify([FORMAT, version, ajvPkg, schema])).digest('hex');
    return join(this.dir, 'config-validators', `${key.slice(0, 40)}.js`);
  }

  load(file: string): ValidateFunction | undefined {
    try {
      const mod = require(file) as { default?: unknown };
      return typeof mod.default === 'function' ? mod.default as ValidateFunction : undefined;
    } catch {
      return undefined;
    }
  }

  /** Best effort: write the standalone code of `validate` (compiled by `ajv` with `code.source`), atomically. */
  save(file: string, ajv: Ajv, validate: ValidateFunction): void {
    try {
      const standalone = (require('ajv/dist/standalone') as { default: (a: Ajv, v: ValidateFunction) => string }).default;
      // The runtime helpers are required by absolute path: the file lives outside any node_modules tree.
      const code = standalone(ajv, validate).replace(/require\("(ajv\/dist\/runtime\/[A-Za-z0-9_]+)"\)/g,
        (_, m: string) => `require(${JSON.stringify(require.resolve(m))})`);
      if (/require\("(?!\/)/.test(code)) return;
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, code, { mode: 0o644 });
      renameSync(tmp, file);
      this.prune(dirname(file));
    } catch {
      // A read-only or missing cache folder only costs the next command the compile again.
    }
  }

  private prune(dir: string): void {
    const files = readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(KEEP)) rmSync(join(dir, f), { force: true });
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.tmp'))) {
      if (Date.now() - statSync(join(dir, f)).mtimeMs > 60_000) rmSync(join(dir, f), { force: true });
    }
  }
}
