// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';

/** A value inside a QEMU `key=value,…` option string: a comma is written `,,`. */
export function escapeOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

export type OptionValue = string | number | boolean | undefined;

/**
 * `qemuOption('virtio-blk-pci', { id: 'a', serial: 'x,y' })` → `virtio-blk-pci,id=a,serial=x,,y`.
 * Booleans become `on`/`off`; `undefined` values are left out; the head is written as it is.
 */
export function qemuOption(head: string | undefined, props: Record<string, OptionValue>): string {
  const parts: string[] = head === undefined ? [] : [head];
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    const text = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
    parts.push(`${key}=${escapeOptionValue(text)}`);
  }
  return parts.join(',');
}

/** Longest block node name QEMU accepts (its buffer holds 32 bytes with the NUL). */
const MAX_NODE_NAME = 31;

/** The block node name of a disk device: derived from its id, hashed when the id is long. */
export function blockNodeName(deviceId: string): string {
  const plain = `drv-${deviceId}`;
  if (plain.length <= MAX_NODE_NAME) return plain;
  return `drv-${createHash('sha256').update(deviceId).digest('hex').slice(0, MAX_NODE_NAME - 4)}`;
}
