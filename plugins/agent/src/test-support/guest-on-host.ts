// SPDX-License-Identifier: Apache-2.0
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { nullLogger, type AgentChannel, type Journal, type SandboxContext } from '@cella/core';
import type { TtrpcServing } from '@cella/core/ttrpc';
import { CellaGuestAgent } from '../cella-guest-agent';
import { execFileRunner, type CommandRunner } from '../guest/command-runner';
import { createGuestAgentServer, type GuestAgentServer } from '../guest/guest-agent-server';

/** A SandboxContext for the agent client in tests: it uses only the id and the logger (no journal entries). */
export function fakeSandbox(dir: string): SandboxContext {
  return { id: 'sb1', stateDir: dir, runDir: dir, journal: undefined as unknown as Journal, logger: nullLogger, vcpus: 1, memoryMiB: 256 };
}

/** The crun stand-in (real host processes, no rootfs), with its state in `<dir>/crun`. */
export function fakeCrun(dir: string): string[] {
  mkdirSync(join(dir, 'crun'), { recursive: true });
  return [process.execPath, join(__dirname, '..', 'guest', 'fake-crun.js'), '--root', join(dir, 'crun')];
}

/**
 * The real guest agent code served on a unix socket on the host. mount/umount/hostname/poweroff are
 * recorded, not run (fake: no VM); commands starting with `realPrefix` (the crun prefix) really run.
 */
export class GuestOnHost {
  readonly calls: string[][] = [];
  /**
   * What the agent would have applied to the network: on the host it must not touch the host's own
   * namespace, so the applier only records (the real one is tested in a netns and in a real guest).
   */
  readonly networkCalls: Array<[string, unknown]> = [];
  /**
   * What the agent would have done to the guest's clock and CRNG: on the host it must never set the host's
   * clock or seed the host's RNG, so these are recorded (the real syscalls are tested in a real guest).
   */
  readonly clockRandomCalls: Array<['setTime', number, number] | ['reseed', Buffer]> = [];
  /** Makes the recording stand-in throw (as the kernel would refuse), when set. */
  clockRandomFailure: Error | undefined;
  readonly guest: GuestAgentServer;
  readonly socketPath: string;
  private server: Server | undefined;
  private readonly sessions: TtrpcServing[] = [];

  constructor(readonly dir: string, options: { crun: string[]; procMounts?: string }) {
    this.socketPath = join(dir, 'agent.sock');
    writeFileSync(join(dir, 'mounts'), 'rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n');
    writeFileSync(join(dir, 'osrelease'), '6.1.0-test-cloud-amd64\n');
    const realFile = options.crun[0];
    const run: CommandRunner = async (file, args, opts) => {
      this.calls.push([file, ...args]);
      return file === realFile ? execFileRunner(file, args, opts) : { stdout: '', stderr: '' };
    };
    this.guest = createGuestAgentServer({
      logger: nullLogger, run, crun: options.crun,
      bundlesDir: join(dir, 'bundles'), procMounts: options.procMounts ?? join(dir, 'mounts'), osReleasePath: join(dir, 'osrelease'),
      sysBlockDir: join(dir, 'sys'), poweroffDelayMs: 20, removeWaitMs: 3000,
      network: {
        applyInterface: async (i) => { this.networkCalls.push(['interface', i]); },
        applyRoutes: async (r) => { this.networkCalls.push(['routes', r]); },
        applyNeighbors: async (n) => { this.networkCalls.push(['neighbors', n]); },
      },
      clockRandom: {
        setTime: (sec, usec) => { if (this.clockRandomFailure) throw this.clockRandomFailure; this.clockRandomCalls.push(['setTime', sec, usec]); },
        reseed: (seed) => { if (this.clockRandomFailure) throw this.clockRandomFailure; this.clockRandomCalls.push(['reseed', Buffer.from(seed)]); },
      },
    });
  }

  /** Listens; with `delayServeMs` the socket accepts at once but is read only later (like a booting guest). */
  start(options: { delayServeMs?: number } = {}): Promise<void> {
    this.server = createServer({ pauseOnConnect: options.delayServeMs !== undefined }, (socket) => {
      const serve = (): void => { this.sessions.push(this.guest.server.serve(socket)); socket.resume(); };
      if (options.delayServeMs === undefined) serve();
      else setTimeout(serve, options.delayServeMs);
    });
    return new Promise((resolve) => this.server!.listen(this.socketPath, resolve));
  }

  get channel(): AgentChannel {
    return { kind: 'virtio-serial', socketPath: this.socketPath, name: 'agent.channel.0' };
  }

  /** Closes the connections and the socket, as a guest that died would. */
  async disconnect(): Promise<void> {
    for (const s of this.sessions) s.close();
    if (this.server?.listening) await new Promise((r) => this.server!.close(r));
  }

  async stop(): Promise<void> {
    await this.guest.containers.removeAll();
    await this.disconnect();
  }
}

/**
 * Mocha hooks for a test file that talks to the guest agent code on the host: before each test a fresh folder, the
 * agent serving in it (fake crun) and a connected host client; after it, all closed and removed. Read the fields
 * inside the tests (they change per test).
 */
export function connectedGuestOnHost(prefix: string): { readonly dir: string; readonly h: GuestOnHost; readonly agent: CellaGuestAgent } {
  const s = {} as { dir: string; h: GuestOnHost; agent: CellaGuestAgent };
  beforeEach(async () => {
    s.dir = mkdtempSync(join(tmpdir(), prefix));
    s.h = new GuestOnHost(s.dir, { crun: fakeCrun(s.dir) });
    s.agent = new CellaGuestAgent(fakeSandbox(s.dir), { callTimeoutMs: 5000 });
    await s.h.start();
    await s.agent.connect(s.h.channel, { timeoutMs: 5000 });
  });
  afterEach(async () => {
    s.agent.close();
    await s.h.stop();
    rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
