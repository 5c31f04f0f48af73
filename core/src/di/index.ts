// SPDX-License-Identifier: Apache-2.0
/**
 * The one copy of the DI library. Plugins import from `@cella/core/di`, never from tsyringe directly,
 * so every package shares one `typeInfo` map.
 */
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';

export { container, inject, injectable, singleton, Lifecycle, delay } from 'tsyringe';
export type { DependencyContainer, InjectionToken } from 'tsyringe';

/** A symbol branded with the type it resolves to. */
export type Token<T> = symbol & { readonly __type?: T };

/** `token<Hypervisor>('Hypervisor')` is `Symbol.for('cella.port.Hypervisor')`: equal across copies of core. */
export function token<T>(name: string): Token<T> {
  return Symbol.for(`cella.port.${name}`) as Token<T>;
}

export function resolve<T>(c: DependencyContainer, t: Token<T>): T {
  return c.resolve<T>(t);
}

/** Every registration of a multi-binding token, `[]` when there is none. */
export function contributions<T>(c: DependencyContainer, t: Token<T>): T[] {
  return c.isRegistered(t, true) ? c.resolveAll<T>(t) : [];
}

export function rootContainer(): DependencyContainer {
  return container;
}

export interface Disposable {
  dispose(): void | Promise<void>;
}
