// SPDX-License-Identifier: Apache-2.0
import {
  CORE_UNDO_HANDLERS, GuestAgentFactory, GuestImage, HypervisorFactory, NetworkDriverFactory, SandboxService,
  StorageDriverFactory, UndoHandler,
} from '@cella/core';
import { contributions } from '@cella/core/di';
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
      network: c.isRegistered(NetworkDriverFactory, true) ? c.resolve(NetworkDriverFactory) : undefined,
    },
    {
      store: rt.store,
      logger: rt.logger,
      undoHandlers: [...CORE_UNDO_HANDLERS, ...contributions(c, UndoHandler)],
      defaults: {
        vcpus: rt.config.sandbox.default_vcpus,
        memoryMiB: rt.config.sandbox.default_memory_mib,
        bootTimeoutMs: rt.config.sandbox.boot_timeout_ms,
      },
    },
  );
}
