// SPDX-License-Identifier: Apache-2.0
import { type CellaError, isCellaError } from '@cella/core/errors';
import { NetworkErrors } from './network-errors';

/**
 * Adds what a request was about (the link, route or qdisc) to the errors NetlinkClient throws, and names
 * request types its table does not know (the tc messages). The code, category and cause stay as they are.
 */

/** True for E_NETWORK_NETLINK carrying this errno name ('ENODEV'…). */
export function isKernelError(err: unknown, errno: string): err is CellaError {
  return isCellaError(err, NetworkErrors.NETWORK_NETLINK.code) && err.details.errno === errno;
}

/**
 * Runs `work`; an E_NETWORK_NETLINK* error it throws gets `details` merged in, and a kernel refusal is
 * reworded with `request` ('RTM_NEWQDISC'). Other errors pass through untouched.
 */
export async function withRequestContext<T>(request: string, details: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw addRequestContext(err, request, details);
  }
}

export function addRequestContext(err: unknown, request: string, details: Record<string, unknown>): unknown {
  if (!isCellaError(err) || !err.code.startsWith(NetworkErrors.NETWORK_NETLINK.code)) return err;
  if (err.code !== NetworkErrors.NETWORK_NETLINK.code) {
    Object.assign(err.details, { request, ...details });
    return err;
  }
  return NetworkErrors.NETWORK_NETLINK.create(`Kernel refused the ${request} request`, {
    cause: err.cause, details: { ...err.details, request, ...details }, hint: err.hint,
  });
}
