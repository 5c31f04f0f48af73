// SPDX-License-Identifier: Apache-2.0
import { defineErrorCodes } from '@cella/core/errors';

/**
 * Error codes of the network plugins (tap today; macvtap and SR-IOV reuse them with the same categories).
 * E_NETWORK_NETLINK carries the kernel's errno name in `details.errno` (ENODEV, EEXIST, EPERM…), and the
 * kernel's extended-ack text in `details.kernelMessage` when it sent one.
 */
export const NetworkErrors = defineErrorCodes('netlink', {
  /** The netns path does not exist, is not a network namespace, or cannot be entered. */
  NETWORK_NETNS: 'NotFound',
  /** The main thread could not return to its own network namespace after a netns operation. */
  NETWORK_NETNS_RESTORE: 'Internal',
  /** The namespace holds no link with a usable address (loopback and link-local-only links do not count). */
  NETWORK_NO_INTERFACE: 'FailedPrecondition',
  /** The kernel answered a netlink request with an error. */
  NETWORK_NETLINK: 'Internal',
  /** A netlink message or attribute is malformed (a length pointing past its buffer, a short field). */
  NETWORK_NETLINK_DECODE: 'Internal',
  /** The kernel did not answer a netlink request in time. */
  NETWORK_NETLINK_TIMEOUT: 'Timeout',
  /** A netlink socket could not be opened or node-netlink could not be loaded. */
  NETWORK_NETLINK_SOCKET: 'Unavailable',
  /** An interface's MTU is outside what the VM's NIC (and its tap or macvtap) can take. */
  NETWORK_MTU: 'InvalidArgument',
  /** An IP or MAC address given to the codec is not valid. */
  NETWORK_ADDRESS: 'InvalidArgument',
  /** A link name, ifindex, queue count, prefix length or mode given to the netlink module is not valid. */
  NETWORK_ARGUMENT: 'InvalidArgument',
  /** A tap or macvtap queue could not be opened (`details` names the tap or device and the queue index). */
  NETWORK_TAP: 'Internal',
});
