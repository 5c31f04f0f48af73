// SPDX-License-Identifier: Apache-2.0
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CellaError, isCellaError } from '../errors/cella-error';
import { E } from '../errors/codes';
import { PLUGIN_API_VERSION, PLUGIN_KINDS, PluginSkipped, type PluginContext, type PluginDefinition, type PluginKind, type PluginManifest } from './manifest';
import { satisfies } from './semver-range';

export type PluginStatus = 'discovered' | 'loaded' | 'skipped' | 'failed';

export interface PluginRecord {
  /** What the config named (package name or path). */
  specifier: string;
  packageName: string;
  packageVersion: string;
  packageDir: string;
  manifest: PluginManifest;
  /** The options schema fragment, if the plugin has one. */
  schema?: Record<string, unknown>;
  status: PluginStatus;
  reason?: string;
  error?: CellaError;
}

/** Finds plugin packages and reads their static view without running their code. */
export class PluginLoader {
  constructor(private readonly searchDirs: readonly string[]) {}

  /** Resolve a package name or path to its folder, like Node resolves a package, from the search folders. */
  findPackageDir(specifier: string): string {
    if (isAbsolute(specifier) || specifier.startsWith('.')) {
      const dir = resolve(specifier);
      if (existsSync(join(dir, 'package.json'))) return dir;
    } else {
      for (const base of this.searchDirs) {
        if (existsSync(join(base, specifier, 'package.json'))) return join(base, specifier);
        for (let d = resolve(base); ; d = dirname(d)) {
          const cand = join(d, 'node_modules', specifier);
          if (existsSync(join(cand, 'package.json'))) return cand;
          if (dirname(d) === d) break;
        }
      }
    }
    throw E.PLUGIN_NOT_FOUND.create(`Plugin "${specifier}" is not installed`, {
      details: { plugin: specifier, searched: this.searchDirs },
      hint: 'Install it with npm, or add its folder to runtime.plugin_dirs.',
    });
  }

  /** Read and check the static view: manifest fields, kind against the role, apiVersion against core. */
  inspect(specifier: string, role?: PluginKind): PluginRecord {
    const packageDir = this.findPackageDir(specifier);
    const pkgFile = join(packageDir, 'package.json');
    let pkg: { name?: string; version?: string; cella?: Partial<PluginManifest> };
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    } catch (cause) {
      throw E.PLUGIN_MANIFEST.create(`Plugin "${specifier}" has an unreadable package.json`, { cause, details: { file: pkgFile } });
    }
    const m = pkg.cella;
    const bad = (field: string, problem: string): never => {
      throw E.PLUGIN_MANIFEST.create(`Plugin "${specifier}" has an invalid manifest: ${field} ${problem}`, { details: { file: pkgFile, field } });
    };
    if (!m || typeof m !== 'object') bad('"cella"', 'is missing (not a Cella plugin)');
    if (typeof m!.id !== 'string' || !/^[a-z]+\.[a-z0-9-]+$/.test(m!.id)) bad('cella.id', 'must look like "<kind>.<backend>"');
    if (!PLUGIN_KINDS.includes(m!.kind as PluginKind)) bad('cella.kind', `must be one of ${PLUGIN_KINDS.join(', ')}`);
    if (typeof m!.apiVersion !== 'string') bad('cella.apiVersion', 'must be a semver range string');
    const manifest = m as PluginManifest;
    const ok = satisfies(PLUGIN_API_VERSION, manifest.apiVersion);
    if (ok === undefined) bad('cella.apiVersion', `"${manifest.apiVersion}" is not a semver range`);
    if (!ok) {
      throw E.PLUGIN_API_VERSION.create(`Plugin "${specifier}" needs plugin API ${manifest.apiVersion}, but this Cella provides ${PLUGIN_API_VERSION}`, {
        details: { plugin: specifier, wants: manifest.apiVersion, provides: PLUGIN_API_VERSION, file: pkgFile },
      });
    }
    if (role && manifest.kind !== role) {
      throw E.PLUGIN_ROLE.create(`Plugin "${specifier}" is a ${manifest.kind} plugin and cannot serve as the ${role}`, { details: { plugin: specifier, kind: manifest.kind, role } });
    }
    let schema: Record<string, unknown> | undefined;
    if (manifest.configSchema) {
      const schemaFile = join(packageDir, manifest.configSchema);
      try {
        schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
      } catch (cause) {
        throw E.PLUGIN_MANIFEST.create(`Plugin "${specifier}" has an unreadable config schema`, { cause, details: { file: schemaFile } });
      }
    }
    return {
      specifier, packageName: pkg.name ?? specifier, packageVersion: pkg.version ?? '0.0.0', packageDir,
      manifest, schema, status: 'discovered',
    };
  }

  /** Every plugin package visible in the search folders (for `cella plugins list`); broken ones come back failed. */
  discoverInstalled(): PluginRecord[] {
    const seen = new Map<string, PluginRecord>();
    for (const base of this.searchDirs) {
      // As Node resolves a package name from `base`: its own node_modules and every one above it
      // (an npm workspace hoists the plugins to the repository's node_modules).
      // There only packages named like plugins are read: `@cella/*`, `cella-*` and `@<scope>/cella-*`.
      const moduleDirs = createRequire(join(base, 'noop.js')).resolve.paths('noop') ?? [join(base, 'node_modules')];
      for (const pkgDir of [...children(base), ...moduleDirs.flatMap(pluginNamed)]) {
        const pkgFile = join(pkgDir, 'package.json');
        let key: string;
        try { key = realpathSync(pkgDir); } catch { continue; }
        if (!existsSync(pkgFile) || seen.has(key)) continue;
        let hasCella = false;
        try { hasCella = 'cella' in JSON.parse(readFileSync(pkgFile, 'utf8')); } catch { /* not a plugin */ }
        if (!hasCella) continue;
        try {
          seen.set(key, this.inspect(pkgDir));
        } catch (err) {
          seen.set(key, failedRecord(pkgDir, err));
        }
      }
    }
    return [...seen.values()];
  }

  /**
   * Run the plugin's code: import it, check the code view agrees with the static view, run `validate` and
   * `register`. Sets `record.status`; a `PluginSkipped` is recorded as skipped, anything else as failed.
   */
  async load<C>(record: PluginRecord, ctx: PluginContext<C>): Promise<void> {
    try {
      let mod: { default?: PluginDefinition<C> } & Partial<PluginDefinition<C>>;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require(record.packageDir);
      } catch (cause) {
        throw E.PLUGIN_LOAD.create(`Plugin "${record.specifier}" cannot be imported`, { cause, details: { plugin: record.specifier, dir: record.packageDir } });
      }
      const def = (mod.default ?? mod) as PluginDefinition<C>;
      for (const f of ['id', 'kind', 'apiVersion'] as const) {
        if (def[f] !== record.manifest[f]) {
          throw E.PLUGIN_MANIFEST.create(`Plugin "${record.specifier}" declares ${f} "${String(def[f])}" in code but "${record.manifest[f]}" in package.json`, { details: { plugin: record.specifier, field: f } });
        }
      }
      if (typeof def.register !== 'function') {
        throw E.PLUGIN_LOAD.create(`Plugin "${record.specifier}" exports no register function`, { details: { plugin: record.specifier } });
      }
      if (def.validate) await def.validate(ctx.config);
      await def.register(ctx);
      record.status = 'loaded';
    } catch (err) {
      // By name, not instanceof: a vendor plugin may carry its own copy of core.
      if (err instanceof Error && err.name === PluginSkipped.name) {
        record.status = 'skipped';
        record.reason = (err as PluginSkipped).reason ?? err.message;
        return;
      }
      record.status = 'failed';
      record.error = isCellaError(err) ? err : E.PLUGIN_LOAD.create(`Plugin "${record.specifier}" failed to register`, { cause: err, details: { plugin: record.specifier } });
      record.reason = record.error.message;
    }
  }
}

function failedRecord(dir: string, err: unknown): PluginRecord {
  const error = isCellaError(err) ? err : E.PLUGIN_LOAD.create('Plugin cannot be inspected', { cause: err, details: { dir } });
  return {
    specifier: dir, packageName: dir, packageVersion: '', packageDir: dir,
    manifest: { id: '?', kind: 'hypervisor', apiVersion: '' }, status: 'failed', reason: error.message, error,
  };
}

function children(dir: string): string[] {
  try { return readdirSync(dir).map((n) => join(dir, n)); } catch { return []; }
}

/** Packages in a node_modules folder whose names say they are Cella plugins. */
function pluginNamed(modules: string): string[] {
  const out = children(join(modules, '@cella'));
  for (const entry of children(modules)) {
    const name = entry.slice(modules.length + 1);
    if (name.startsWith('cella-')) out.push(entry);
    else if (name.startsWith('@') && name !== '@cella') out.push(...children(entry).filter((p) => p.slice(entry.length + 1).startsWith('cella-')));
  }
  return out;
}
