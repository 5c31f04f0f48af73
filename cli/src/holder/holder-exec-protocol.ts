// SPDX-License-Identifier: Apache-2.0
import { decodeMessage, ProtoWriter } from '@cella/core/ttrpc';

/**
 * Exec through the holder: it owns the agent connection, so `cella exec` asks it to run a process and to move
 * its stdio. Every message carries the exec id (field 1). Bounded like the agent's own messages.
 */
export const ExecMethod = { Exec: 'Exec', Read: 'Read', Write: 'Write', CloseStdin: 'CloseStdin', Wait: 'Wait', Signal: 'Signal', Resize: 'Resize' } as const;

const MAX_PROCESS_JSON = 1 << 20;

export interface ExecMessage {
  execId: string;
  /**
   * The container the process runs in: a pod member's id (docs/adr/0009), or absent for the holder's own
   * container. With execId '' it is that container's own process.
   */
  containerId?: string;
  /** Exec: the OCI process as JSON. */
  process?: string;
  /** Read: 1 stdout, 2 stderr; with `max`. */
  stream?: number;
  max?: number;
  /** Write: the bytes; Read's answer: the bytes. */
  data?: Buffer;
  /** Signal: the number; Wait's answer: the exit status; Write's answer: bytes taken. */
  value?: number;
  /** Read's answer: end of stream. */
  eof?: boolean;
  /** Resize: the terminal's window size. */
  rows?: number;
  columns?: number;
}

export function encodeExec(m: ExecMessage): Buffer {
  const w = new ProtoWriter().string(1, m.execId);
  if (m.process !== undefined) w.string(2, m.process);
  if (m.stream !== undefined) w.uint32(3, m.stream);
  if (m.max !== undefined) w.uint32(4, m.max);
  if (m.data !== undefined) w.bytes(5, m.data);
  if (m.value !== undefined) w.int32(6, m.value);
  if (m.eof) w.bool(7, true);
  if (m.rows !== undefined) w.uint32(8, m.rows);
  if (m.columns !== undefined) w.uint32(9, m.columns);
  if (m.containerId !== undefined) w.string(10, m.containerId);
  return w.finish();
}

export function decodeExec(buf: Uint8Array): ExecMessage {
  const m = decodeMessage<ExecMessage>(buf, { execId: '' }, (r, field, _wt, msg) => {
    switch (field) {
      case 1: msg.execId = r.string(); return true;
      case 2: msg.process = r.string(); return true;
      case 3: msg.stream = r.uint32(); return true;
      case 4: msg.max = r.uint32(); return true;
      case 5: msg.data = r.bytes(); return true;
      case 6: msg.value = r.int32(); return true;
      case 7: msg.eof = r.bool(); return true;
      case 8: msg.rows = r.uint32(); return true;
      case 9: msg.columns = r.uint32(); return true;
      case 10: msg.containerId = r.string(); return true;
      default: return false;
    }
  });
  if (m.process !== undefined && m.process.length > MAX_PROCESS_JSON) throw new Error('exec process JSON too large');
  return m;
}
