// SPDX-License-Identifier: Apache-2.0
import type { Lifecycle } from 'tsyringe';
import type { Logger } from '../log/logger';
import type { Token } from '../di';

/** The plugin API version this core implements; plugins declare a semver range against it. */
export const PLUGIN_API_VERSION = '1.0.0';

export type PluginKind = 'hypervisor' | 'agent' | 'network' | 'storage';
export const PLUGIN_KINDS: readonly PluginKind[] = ['hypervisor', 'agent', 'network', 'storage'];

/** The static view, read from package.json `"cella"` without running plugin code. */
export interface PluginManifest {
  /** `<kind>.<backend>`: config key, log name and error scope. */
  id: string;
  kind: PluginKind;
  /** Semver range against PLUGIN_API_VERSION. */
  apiVersion: string;
  /** Path of the JSON Schema fragment for `[plugins."<id>"]`, relative to the package. */
  configSchema?: string;
  requires?: PluginKind[];
  platforms?: string[];
}

export interface PluginPaths {
  /** State root (`/run/cella`). */
  root: string;
  /** Persistent cache (`/var/cache/cella`): images, probes. */
  cache: string;
  /** The plugin package's own folder. */
  packageDir: string;
}

export type Scope = 'transient' | 'singleton';

/** What `register` gets: a narrow view of the DI container. */
export interface PluginContext<C = Record<string, unknown>> {
  readonly id: string;
  /** Schema-validated, defaults applied. */
  readonly config: C;
  readonly logger: Logger;
  readonly paths: PluginPaths;
  /** Bind a value (or a factory function as a value) to a token. */
  bindValue<T>(t: Token<T>, value: T): void;
  /** Bind a class; `singleton` for one instance per process. */
  bindClass<T>(t: Token<T>, cls: new (...args: never[]) => T, scope?: Scope): void;
  /** Add to a multi-binding (HostCheck, UndoHandler, …). */
  contribute<T>(t: Token<T>, value: T): void;
}

export interface PluginDefinition<C = Record<string, unknown>> extends PluginManifest {
  register(ctx: PluginContext<C>): void | Promise<void>;
  /** Semantic checks after the schema (host facts, cross-field rules). Throw CellaError to refuse. */
  validate?(config: C): void | Promise<void>;
}

export function definePlugin<C = Record<string, unknown>>(def: PluginDefinition<C>): PluginDefinition<C> {
  return def;
}

/** Thrown by `register` when this host cannot run the plugin: skipped is not failed. */
export class PluginSkipped extends Error {
  override readonly name = 'PluginSkipped';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export type { Lifecycle };
