// SPDX-License-Identifier: Apache-2.0
import type { Logger } from '../log/logger';
import type { Journal } from '../state/journal';

/** What a plugin gets to know about the sandbox it works for. */
export interface SandboxContext {
  readonly id: string;
  /** Persistent state folder: `<root>/<id>`. */
  readonly stateDir: string;
  /** Folder for sockets, pid files, temporary images: `<root>/<id>/run`. Removed with the sandbox. */
  readonly runDir: string;
  readonly journal: Journal;
  readonly logger: Logger;
  /** vCPUs and memory the VM will get. */
  readonly vcpus: number;
  readonly memoryMiB: number;
}
