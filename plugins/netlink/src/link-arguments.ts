// SPDX-License-Identifier: Apache-2.0
import { NetworkErrors } from './network-errors';

/**
 * Checks of the arguments the link, tap and tc operations take, made before anything reaches the kernel
 * so that a bad value is E_NETWORK_ARGUMENT naming the field rather than an errno from deep inside.
 */

/** IFNAMSIZ less its NUL. */
export const MAX_LINK_NAME_BYTES = 15;
/** The kernel's limit on the queues of one tap or macvtap (MAX_TAP_QUEUES). */
export const MAX_TAP_QUEUES = 256;

/**
 * A link name the kernel accepts as is (its dev_valid_name): 1..15 bytes, not '.' or '..', no '/', ':' or
 * whitespace. '%' is refused too: the kernel would read it as a template ('tap%d') and pick another name.
 */
export function checkLinkName(name: string, field = 'name'): void {
  const bytes = typeof name === 'string' ? Buffer.byteLength(name, 'utf8') : 0;
  let problem: string | undefined;
  if (typeof name !== 'string' || bytes === 0) problem = 'is empty';
  else if (bytes > MAX_LINK_NAME_BYTES) problem = `has ${bytes} bytes, more than ${MAX_LINK_NAME_BYTES}`;
  else if (name === '.' || name === '..') problem = 'is a path component';
  else if (/[/:%\s]/u.test(name)) problem = "contains '/', ':', '%' or whitespace";
  if (problem !== undefined) {
    throw NetworkErrors.NETWORK_ARGUMENT.create('Link name is not valid', {
      details: { field, value: name, problem },
      hint: `Use 1 to ${MAX_LINK_NAME_BYTES} bytes without '/', ':', '%' or whitespace`,
    });
  }
}

/** An ifindex: an integer from 1 to 2^31-1. */
export function checkIndex(index: number, field = 'index'): void {
  if (!Number.isInteger(index) || index < 1 || index > 0x7fffffff) {
    throw NetworkErrors.NETWORK_ARGUMENT.create('Interface index is not valid', { details: { field, value: index } });
  }
}

/** A queue count: an integer from 1 to MAX_TAP_QUEUES. */
export function checkQueues(queues: number): void {
  if (!Number.isInteger(queues) || queues < 1 || queues > MAX_TAP_QUEUES) {
    throw NetworkErrors.NETWORK_ARGUMENT.create('Queue count is not valid', {
      details: { field: 'queues', value: queues }, hint: `Give an integer from 1 to ${MAX_TAP_QUEUES}`,
    });
  }
}

/** An unsigned integer field (MTU, metric, state) of at most `max`. */
export function checkUnsigned(value: number, field: string, max = 0xffffffff): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw NetworkErrors.NETWORK_ARGUMENT.create('Numeric argument is out of range', { details: { field, value, max } });
  }
}
