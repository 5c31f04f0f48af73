// SPDX-License-Identifier: Apache-2.0
import { Lifecycle, type DependencyContainer } from '../di';
import type { Token } from '../di';
import type { Logger } from '../log/logger';
import type { PluginContext, PluginPaths, Scope } from './manifest';

/** The narrow view of the DI container a plugin's `register` gets. */
export function makePluginContext<C>(c: DependencyContainer, id: string, config: C, logger: Logger, paths: PluginPaths): PluginContext<C> {
  return {
    id,
    config,
    logger: logger.child({ name: id }),
    paths,
    bindValue<T>(t: Token<T>, value: T): void {
      c.register<T>(t, { useValue: value });
    },
    bindClass<T>(t: Token<T>, cls: new (...args: never[]) => T, scope: Scope = 'transient'): void {
      c.register<T>(t, { useClass: cls as never }, { lifecycle: scope === 'singleton' ? Lifecycle.ContainerScoped : Lifecycle.Transient });
    },
    contribute<T>(t: Token<T>, value: T): void {
      c.register<T>(t, { useValue: value });
    },
  };
}
