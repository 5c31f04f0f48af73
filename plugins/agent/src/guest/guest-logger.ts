// SPDX-License-Identifier: Apache-2.0
import { JsonLogger, type Logger, type LogLevel } from '@cella/core/log';

/**
 * The guest agent's logger: core's JSON-line logger (every logged value bounded) from its DI-free subpath,
 * one line per record on the sink, normally stderr, which is the VM console.
 */
export function guestLogger(write: (text: string) => void, level: LogLevel = 'warn'): Logger {
  return new JsonLogger((line) => write(`${line}\n`), level, { name: 'cella-guest-agent' });
}
