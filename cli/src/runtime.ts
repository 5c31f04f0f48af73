// SPDX-License-Identifier: Apache-2.0
import { dirname } from 'node:path';
import {
  E, JsonLogger, makePluginContext, PluginLoader, StateStore,
  type Logger, type LogLevel, type PluginKind, type PluginRecord,
} from '@cella/core';
import { rootContainer, type DependencyContainer } from '@cella/core/di';
import { composeSchema, loadRawConfig, validateConfig, type CellaConfig, type RawConfig } from '@cella/config-schema';

export interface GlobalOptions {
  config?: string;
  log?: string;
  root?: string;
  debug?: boolean;
  logFormat?: 'text' | 'json';
}

/** A role a plugin is selected for: one per kind, plus `volumes` (a second storage plugin for the spec's mounts). */
export type Role = PluginKind | 'volumes';
/** The schema's default `runtime.cache_dir`. */
const DEFAULT_CACHE_DIR = '/var/cache/cella';

export const ROLES: readonly Role[] = ['hypervisor', 'agent', 'storage', 'volumes', 'network'];
const KIND_OF: Record<Role, PluginKind> = { hypervisor: 'hypervisor', agent: 'agent', storage: 'storage', volumes: 'storage', network: 'network' };

export interface ValidatedConfig {
  raw: RawConfig;
  config: CellaConfig;
  /**
   * The plugin selected for each role ('none' roles left out; `volumes` only when it names another plugin than
   * `storage`, which otherwise serves both).
   */
  selected: Map<Role, PluginRecord>;
  loader: PluginLoader;
}

export interface Runtime extends ValidatedConfig {
  container: DependencyContainer;
  /** Where the `volumes` plugin is registered (a child of `container`), when one is selected. */
  volumesContainer?: DependencyContainer;
  logger: Logger;
  store: StateStore;
}

/** Folders searched for plugins: the configured ones, then the CLI's own installation. */
function searchDirs(raw: RawConfig): string[] {
  const runtime = (raw.data.runtime ?? {}) as { plugin_dirs?: unknown };
  const dirs = Array.isArray(runtime.plugin_dirs) ? runtime.plugin_dirs.filter((d): d is string => typeof d === 'string') : [];
  return [...dirs, dirname(__dirname)];
}

function selection(raw: RawConfig, role: Role): string | undefined {
  if (role === 'volumes') {
    const v = (raw.data.storage as { volumes?: unknown } | undefined)?.volumes;
    return typeof v === 'string' && v !== 'none' ? v : undefined;
  }
  const table = raw.data[role] as { plugin?: unknown } | undefined;
  const defaults: Record<PluginKind, string | undefined> = {
    hypervisor: '@cella/hypervisor-qemu', agent: '@cella/agent', storage: '@cella/storage-block', network: '@cella/network-tap',
  };
  const p = typeof table?.plugin === 'string' ? table.plugin : defaults[role];
  return p === 'none' ? undefined : p;
}

/** Load the config, read the selected plugins' static views, compose the schema and validate. Runs no plugin code. */
export async function loadValidatedConfig(opts: GlobalOptions, file?: string): Promise<ValidatedConfig> {
  const raw = await loadRawConfig({ configPath: file ?? opts.config, env: process.env });
  const loader = new PluginLoader(searchDirs(raw));
  const selected = new Map<Role, PluginRecord>();
  for (const role of ROLES) {
    const spec = selection(raw, role);
    if (!spec) continue;
    const rec = loader.inspect(spec, KIND_OF[role]);
    if (role === 'volumes' && rec.manifest.id === selected.get('storage')?.manifest.id) continue;
    selected.set(role, rec);
  }
  const fragments: Record<string, object> = {};
  for (const rec of loader.discoverInstalled()) if (rec.status !== 'failed' && rec.schema) fragments[rec.manifest.id] = rec.schema;
  for (const rec of selected.values()) fragments[rec.manifest.id] = rec.schema ?? { type: 'object', additionalProperties: false };
  // The cache folder the config names (checked by the schema right after; a bad value only skips the cache).
  const cacheDir = (raw.data.runtime as { cache_dir?: unknown } | undefined)?.cache_dir;
  const config = validateConfig(raw, composeSchema(fragments), typeof cacheDir === 'string' && cacheDir.startsWith('/') ? cacheDir : DEFAULT_CACHE_DIR);
  return { raw, config, selected, loader };
}

export function makeLogger(opts: GlobalOptions, level: LogLevel, sink: (line: string) => void): Logger {
  return new JsonLogger(sink, opts.debug ? 'debug' : level, { name: 'cella' });
}

/** Everything a command that runs sandboxes needs: validated config, loaded plugins, a DI container. */
export async function loadRuntime(opts: GlobalOptions, logger: Logger): Promise<Runtime> {
  const v = await loadValidatedConfig(opts);
  const root = opts.root ?? v.config.runtime.root;
  const container = rootContainer().createChildContainer();
  // A second storage plugin binds the same port: it gets a container of its own.
  const volumesContainer = v.selected.has('volumes') ? container.createChildContainer() : undefined;
  for (const [role, rec] of v.selected) {
    const ctx = makePluginContext(role === 'volumes' ? volumesContainer! : container, rec.manifest.id, v.config.plugins[rec.manifest.id] ?? {}, logger, {
      root, cache: v.config.runtime.cache_dir, packageDir: rec.packageDir,
    });
    await v.loader.load(rec, ctx);
    if (rec.status !== 'loaded') {
      const code = rec.status === 'skipped' ? E.PLUGIN_SKIPPED : E.PLUGIN_LOAD;
      throw code.create(`The ${role} plugin "${rec.specifier}" is ${rec.status}`, {
        cause: rec.error, details: { role, plugin: rec.specifier, reason: rec.reason },
      });
    }
  }
  return { ...v, container, volumesContainer, logger, store: new StateStore(root) };
}
