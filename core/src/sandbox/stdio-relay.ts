// SPDX-License-Identifier: Apache-2.0
import type { Readable, Writable } from 'node:stream';
import type { GuestAgent } from '../ports/guest-agent';

const CHUNK = 64 * 1024;

/** What stdio relaying needs of an agent: the guest agent itself, or a holder forwarding to it. */
export type StdioAgent = Pick<GuestAgent, 'readStdout' | 'readStderr' | 'writeStdin' | 'closeStdin'>;

/** Resolves once `out` takes more; a closed `out` (a terminal whose other end went away) drops the data. */
function writeAsync(out: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (out.destroyed || out.writableEnded) return resolve();
    if (out.write(data)) return resolve();
    const done = (): void => { out.off('drain', done); out.off('close', done); resolve(); };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** Copy a guest stream to a host stream until end of stream (long polls: the guest answers when it has data). */
export async function pumpOut(agent: StdioAgent, which: 'stdout' | 'stderr', containerId: string, execId: string, out: Writable): Promise<void> {
  for (;;) {
    const data = which === 'stdout'
      ? await agent.readStdout(containerId, execId, CHUNK)
      : await agent.readStderr(containerId, execId, CHUNK);
    if (data === undefined) return;
    if (data.length > 0) await writeAsync(out, data);
  }
}

/** Forward host stdin to the guest process, then close its stdin. Resolves at end of input. */
export function pumpIn(agent: StdioAgent, containerId: string, execId: string, input: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let chain = Promise.resolve();
    input.on('data', (chunk: Buffer) => {
      input.pause();
      chain = chain
        .then(async () => {
          for (let off = 0; off < chunk.length; off += CHUNK) await agent.writeStdin(containerId, execId, chunk.subarray(off, off + CHUNK));
        })
        .then(() => { input.resume(); }, reject);
    });
    input.once('end', () => {
      chain.then(() => agent.closeStdin(containerId, execId)).then(resolve, reject);
    });
    input.once('error', reject);
  });
}
