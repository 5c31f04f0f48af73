// SPDX-License-Identifier: Apache-2.0
import { E, validateProcess, type OciProcess, type SandboxHandle } from '@cella/core';
import type { TtrpcServer } from '@cella/core/ttrpc';
import { decodeExec, encodeExec, ExecMethod } from './holder-exec-protocol';
import { HOLDER_SERVICE } from './holder-protocol';

const EMPTY = new Uint8Array();
/** Largest read a caller may ask for (the agent bounds its answers the same way). */
const MAX_READ = 1 << 20;

/** The holder's exec methods: each forwards to the guest agent the holder owns. */
export function registerExec(server: TtrpcServer, live: SandboxHandle, exiting: () => boolean): void {
  const id = live.ctx.id;
  const agent = () => {
    if (!live.agent || exiting()) throw E.SANDBOX_BUSY.create('cannot exec in a stopped container', { details: { id } });
    return live.agent;
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
    await agent().exec(id, m.execId, proc);
    return EMPTY;
  });
  server.register(HOLDER_SERVICE, ExecMethod.Read, async (p) => {
    const m = decodeExec(p);
    const max = Math.min(Math.max(m.max ?? MAX_READ, 1), MAX_READ);
    const data = m.stream === 2 ? await agent().readStderr(id, m.execId, max) : await agent().readStdout(id, m.execId, max);
    return encodeExec({ execId: m.execId, data: data ?? Buffer.alloc(0), eof: data === undefined });
  });
  server.register(HOLDER_SERVICE, ExecMethod.Write, async (p) => {
    const m = decodeExec(p);
    return encodeExec({ execId: m.execId, value: await agent().writeStdin(id, m.execId, m.data ?? Buffer.alloc(0)) });
  });
  server.register(HOLDER_SERVICE, ExecMethod.CloseStdin, async (p) => { await agent().closeStdin(id, decodeExec(p).execId); return EMPTY; });
  server.register(HOLDER_SERVICE, ExecMethod.Wait, async (p) => {
    const m = decodeExec(p);
    return encodeExec({ execId: m.execId, value: await agent().wait(id, m.execId) });
  });
  server.register(HOLDER_SERVICE, ExecMethod.Resize, async (p) => {
    const m = decodeExec(p);
    await agent().resizeTty(id, m.execId, m.rows ?? 0, m.columns ?? 0);
    return EMPTY;
  });
  server.register(HOLDER_SERVICE, ExecMethod.Signal, async (p) => {
    const m = decodeExec(p);
    await agent().signal(id, m.execId, m.value ?? 15);
    return EMPTY;
  });
}
