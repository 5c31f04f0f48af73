// SPDX-License-Identifier: Apache-2.0
import { openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@cella/core';
import type { TtrpcServer } from '@cella/core/ttrpc';
import { CharDeviceStream } from './char-device-stream';
import { PortSessions } from './port-sessions';

export interface VirtioPortOptions {
  sysDir?: string;
  devDir?: string;
  /** Pause before opening the port again after the host was absent. */
  idleRetryMs?: number;
}

/** `/dev/vportNpM` of the virtio-serial port named `name`, or undefined when there is none (yet). */
export async function findVirtioPort(name: string, options: VirtioPortOptions = {}): Promise<string | undefined> {
  const sysDir = options.sysDir ?? '/sys/class/virtio-ports';
  const ports = await readdir(sysDir).catch(() => [] as string[]);
  for (const port of ports.sort()) {
    const portName = await readFile(join(sysDir, port, 'name'), 'utf8').catch(() => '');
    if (portName.trim() === name) return join(options.devDir ?? '/dev', port);
  }
  return undefined;
}

/**
 * Serves `server` on the named virtio-serial port for ever. The port is opened again whenever it reads
 * as disconnected (read returns 0) or fails; within one opening, `PortSessions` starts a fresh ttRPC
 * session for each new host client, so a host that reconnects (a new CLI process) gets fresh stream ids.
 */
export async function serveVirtioPort(name: string, server: TtrpcServer, logger: Logger, options: VirtioPortOptions = {}): Promise<never> {
  const idleRetryMs = options.idleRetryMs ?? 100;
  let device: string | undefined;
  for (let waited = 0; !device; waited++) {
    device = await findVirtioPort(name, options);
    if (!device) {
      if (waited % 50 === 0) logger.warn('Agent port not found yet', { port: name });
      await sleep(100);
    }
  }
  logger.info('Agent port found', { port: name, device });
  for (;;) {
    let fd: number;
    try {
      // A raw fd, not a FileHandle: Node closes a FileHandle it garbage-collects.
      fd = openSync(device, 'r+');
    } catch (err) {
      // EBUSY: a read of the previous session is still blocked in the kernel; it ends with the next bytes.
      logger.debug('Agent port cannot be opened yet', { device, err });
      await sleep(idleRetryMs);
      continue;
    }
    const port = new CharDeviceStream(fd);
    port.on('error', (err) => logger.warn('Agent port failed', { device, err }));
    const closed = new Promise((resolve) => port.once('close', resolve));
    // Destroyed (fd closed) once the host side reads as disconnected, so the port is opened afresh.
    port.once('end', () => port.destroy());
    new PortSessions(port, (session) => {
      logger.info('Agent session started', { device });
      void server.serve(session).done.then(() => logger.info('Agent session ended', { device }));
    });
    await closed;
    if (port.bytesIn === 0) await sleep(idleRetryMs);
  }
}
