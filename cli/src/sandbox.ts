// SPDX-License-Identifier: Apache-2.0
import {
  CORE_UNDO_HANDLERS, GuestAgentFactory, GuestImage, HypervisorFactory, makePluginContext, NetworkDriverFactory, nullLogger,
  SandboxService, StorageDriverFactory, UndoHandler,
} from '@cella/core';
import { contributions, rootContainer } from '@cella/core/di';
import type { Runtime } from './runtime';

/** The SandboxService wired from the runtime's container: the plugins' factories and every undo handler. */
export function makeSandboxService(rt: Runtime): SandboxService {
  const c = rt.container;
  return new SandboxService(
    {
      hypervisor: c.resolve(HypervisorFactory),
      agent: c.resolve(GuestAgentFactory),
      image: c.resolve(GuestImage),
      storage: c.resolve(StorageDriverFactory),
      volumes: rt.volumesContainer?.resolve(StorageDriverFactory),
      network: c.isRegistered(NetworkDriverFactory, true) ? c.resolve(NetworkDriverFactory) : undefined,
    },
    {
      store: rt.store,
      logger: rt.logger,
      undoHandlers: [...CORE_UNDO_HANDLERS, ...pluginUndoHandlers(rt)],
      moreUndoHandlers: () => otherPluginsUndoHandlers(rt),
      defaults: {
        vcpus: rt.config.sandbox.default_vcpus,
        memoryMiB: rt.config.sandbox.default_memory_mib,
        bootTimeoutMs: rt.config.sandbox.boot_timeout_ms,
      },
    },
  );
}

/** The selected plugins' undo handlers (the `volumes` plugin's live in a container of their own). */
function pluginUndoHandlers(rt: Runtime): UndoHandler[] {
  const all = [...contributions(rt.container, UndoHandler), ...(rt.volumesContainer ? contributions(rt.volumesContainer, UndoHandler) : [])];
  return all.filter((h, i) => all.findIndex((o) => o.type === h.type) === i);
}

/**
 * Undo handlers of the installed plugins the config does not select, each loaded into a scratch container
 * with its default options (a journal written under another config names types only they know).
 * A plugin that will not load is left out; its entries then stay in the journal and are reported.
 */
async function otherPluginsUndoHandlers(rt: Runtime): Promise<UndoHandler[]> {
  const selected = new Set([...rt.selected.values()].map((r) => r.manifest.id));
  const out: UndoHandler[] = [];
  for (const rec of rt.loader.discoverInstalled()) {
    if (rec.status === 'failed' || selected.has(rec.manifest.id)) continue;
    const scratch = rootContainer().createChildContainer();
    try {
      const ctx = makePluginContext(scratch, rec.manifest.id, rt.config.plugins[rec.manifest.id] ?? {}, nullLogger, {
        root: rt.store.root, cache: rt.config.runtime.cache_dir, packageDir: rec.packageDir,
      });
      await rt.loader.load(rec, ctx);
      if (rec.status === 'loaded') out.push(...contributions(scratch, UndoHandler));
    } catch (err) {
      rt.logger.debug('plugin not loaded for its undo handlers', { plugin: rec.manifest.id, err });
    }
  }
  return out;
}
