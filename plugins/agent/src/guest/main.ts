// SPDX-License-Identifier: Apache-2.0
/**
 * Entry of the guest agent (bundled by esbuild into dist/guest-agent.js; runs as a child of PID 1 in the VM).
 * Kernel command line (see protocol/agent-cmdline.ts): `cella.agent=virtio-serial:<port name>` or
 * `cella.agent=vsock:<port>` (not available in Node: exits 3), `cella.debug=1` for debug logs.
 * Logs are JSON lines on stderr (the VM console). Exit status: 2 bad cmdline, 3 unsupported channel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNetlinkModules } from '@cella/netlink';
import { parseAgentCmdline } from '../protocol/agent-cmdline';
import { AGENT_VERSION } from '../protocol/agent-service';
import { createGuestAgentServer } from './guest-agent-server';
import { guestLogger } from './guest-logger';
import { serveVirtioPort } from './virtio-port';

// One thread stays blocked reading the port and one writing it: leave room for the other file work.
// Effective because nothing has used libuv's thread pool yet at this point.
process.env.UV_THREADPOOL_SIZE ??= '16';

async function main(): Promise<number> {
  let cmdline = '';
  try {
    cmdline = readFileSync('/proc/cmdline', 'utf8');
  } catch {
    // No /proc/cmdline: fall back to the defaults.
  }
  const { listen, debug } = parseAgentCmdline(cmdline);
  const logger = guestLogger((line) => process.stderr.write(line), debug ? 'debug' : 'warn');
  process.on('uncaughtException', (err) => logger.error('Uncaught exception', { err }));
  process.on('unhandledRejection', (err) => logger.error('Unhandled rejection', { err }));
  if (!listen) {
    logger.error('The cella.agent kernel parameter is invalid', { cmdline: cmdline.trim() });
    return 2;
  }
  if (listen.kind === 'vsock') {
    logger.error('The vsock agent channel is not supported by the Node guest agent', { port: listen.port });
    return 3;
  }
  // Guest uptime at start: with the kernel's timestamps it tells where boot time goes (cella.debug=1).
  logger.info('Guest agent starting', { version: AGENT_VERSION, listen, uptime: uptime() });
  const { server } = createGuestAgentServer({ logger });
  const serving = serveVirtioPort(listen.name, server, logger);
  // The NIC's configuration follows the first answer: compile the netlink modules while the host connects.
  if (hasVirtioNic()) setTimeout(() => { loadNetlinkModules().catch((err: unknown) => logger.warn('netlink modules not preloaded', { err })); }, 0);
  return serving;
}

function uptime(): string | undefined {
  try {
    return readFileSync('/proc/uptime', 'utf8').split(' ')[0];
  } catch {
    return undefined;
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'error', name: 'cella-guest-agent', msg: 'Agent failed', err: String(err) })}\n`);
    process.exitCode = 1;
  },
);

/** Whether the VM has a virtio-net PCI function (vendor 0x1af4, device 0x1000 legacy or 0x1041 modern). */
function hasVirtioNic(): boolean {
  const base = '/sys/bus/pci/devices';
  try {
    return readdirSync(base).some((d) => {
      try {
        const id = `${readFileSync(join(base, d, 'vendor'), 'utf8').trim()}:${readFileSync(join(base, d, 'device'), 'utf8').trim()}`;
        return id === '0x1af4:0x1000' || id === '0x1af4:0x1041';
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
