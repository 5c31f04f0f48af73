// SPDX-License-Identifier: Apache-2.0
import { E, validateProcess, type OciProcess, type SandboxHandle } from '@cella/core';
import type { TtrpcServer } from '@cella/core/ttrpc';
import { decodeExec, encodeExec, ExecMethod, type ExecMessage } from './holder-exec-protocol';
import { HOLDER_SERVICE } from './holder-protocol';

const EMPTY = new Uint8Array();
/** Largest read a caller may ask for (the agent bounds its answers the same way). */
const MAX_READ = 1 << 20;

/**
 * The holder's exec methods: each forwards to the guest agent the holder owns. A message naming a pod member
 * (docs/adr/0009) works on that container, which must have been added to this sandbox; none names the holder's own.
 */
export function registerExec(server: TtrpcServer, live: SandboxHandle, exiting: () => boolean): void {
  const agent = () => {
    if (!live.agent || exiting()) throw E.SANDBOX_BUSY.create('cannot exec in a stopped container', { details: { id: live.ctx.id } });
    return live.agent;
  };
  const container = (m: ExecMessage): string => {
    const c = m.containerId;
    if (!c || c === live.ctx.id) return live.ctx.id;
    if (!live.added.get(c)?.created) {
      throw E.SANDBOX_NOT_FOUND.create('The pod sandbox has no such container', { details: { sandbox: live.ctx.id, containerId: c.slice(0, 256) } });
    }
    return c;
  };
  server.register(HOLDER_SERVICE, ExecMethod.Exec, async (p) => {
    const m = decodeExec(p);
    let proc: OciProcess;
    try {
      proc = JSON.parse(m.process ?? '') as OciProcess;
    } catch (cause) {
      throw E.BUNDLE_INVALID.create('The exec process is not valid JSON', { cause, details: { execId: m.execId } });
    }
    validateProcess(proc, '(exec process)', 'process');
    await agent().exec(container(m), m.execId, proc);
    return EMPTY;
  });
  server.register(HOLDER_SERVICE, ExecMethod.Read, async (p) => {
    const m = decodeExec(p);
    const max = Math.min(Math.max(m.max ?? MAX_READ, 1), MAX_READ);
    const id = container(m);
    const data = m.stream === 2 ? await agent().readStderr(id, m.execId, max) : await agent().readStdout(id, m.execId, max);
    return encodeExec({ execId: m.execId, data: data ?? Buffer.alloc(0), eof: data === undefined });
  });
  server.register(HOLDER_SERVICE, ExecMethod.Write, async (p) => {
    const m = decodeExec(p);
    return encodeExec({ execId: m.execId, value: await agent().writeStdin(container(m), m.execId, m.data ?? Buffer.alloc(0)) });
  });
  server.register(HOLDER_SERVICE, ExecMethod.CloseStdin, async (p) => {
    const m = decodeExec(p);
    await agent().closeStdin(container(m), m.execId);
    return EMPTY;
  });
  server.register(HOLDER_SERVICE, ExecMethod.Wait, async (p) => {
    const m = decodeExec(p);
    return encodeExec({ execId: m.execId, value: await agent().wait(container(m), m.execId) });
  });
  server.register(HOLDER_SERVICE, ExecMethod.Resize, async (p) => {
    const m = decodeExec(p);
    await agent().resizeTty(container(m), m.execId, m.rows ?? 0, m.columns ?? 0);
    return EMPTY;
  });
  server.register(HOLDER_SERVICE, ExecMethod.Signal, async (p) => {
    const m = decodeExec(p);
    await agent().signal(container(m), m.execId, m.value ?? 15);
    return EMPTY;
  });
}
