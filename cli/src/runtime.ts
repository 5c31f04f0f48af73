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

export const ROLES: readonly PluginKind[] = ['hypervisor', 'agent', 'storage', 'network'];

export interface ValidatedConfig {
  raw: RawConfig;
  config: CellaConfig;
  /** The plugin selected for each role ('none' roles left out). */
  selected: Map<PluginKind, PluginRecord>;
  loader: PluginLoader;
}

export interface Runtime extends ValidatedConfig {
  container: DependencyContainer;
  logger: Logger;
  store: StateStore;
}

/** Folders searched for plugins: the configured ones, then the CLI's own installation. */
function searchDirs(raw: RawConfig): string[] {
  const runtime = (raw.data.runtime ?? {}) as { plugin_dirs?: unknown };
  const dirs = Array.isArray(runtime.plugin_dirs) ? runtime.plugin_dirs.filter((d): d is string => typeof d === 'string') : [];
  return [...dirs, dirname(__dirname)];
}

function selection(raw: RawConfig, role: PluginKind): string | undefined {
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
  const selected = new Map<PluginKind, PluginRecord>();
  for (const role of ROLES) {
    const spec = selection(raw, role);
    if (spec) selected.set(role, loader.inspect(spec, role));
  }
  const fragments: Record<string, object> = {};
  for (const rec of loader.discoverInstalled()) if (rec.status !== 'failed' && rec.schema) fragments[rec.manifest.id] = rec.schema;
  for (const rec of selected.values()) fragments[rec.manifest.id] = rec.schema ?? { type: 'object', additionalProperties: false };
  const config = validateConfig(raw, composeSchema(fragments));
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
  for (const [role, rec] of v.selected) {
    const ctx = makePluginContext(container, rec.manifest.id, v.config.plugins[rec.manifest.id] ?? {}, logger, {
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
  return { ...v, container, logger, store: new StateStore(root) };
}
