// SPDX-License-Identifier: Apache-2.0
import { constants, fstatSync, openSync } from 'node:fs';
import { isCellaError } from '@cella/core/errors';
import { NetworkErrors } from './network-errors';
import { checkIndex, checkQueues } from './link-arguments';
import { type DeviceNumber, isDevice, macvtapDeviceNumber, makeDeviceNode, removeDeviceNode, userDev } from './macvtap-device';
import { runInNetnsSync } from './netns';
import { closeFds, errnoOf, nativeSyscalls } from './tun';

export interface MacvtapQueueOptions {
  /**
   * The network namespace of the macvtap (a /var/run/netns/<name> or /proc/<pid>/ns/net path). Without it
   * the macvtap is looked up in the calling thread's namespace (the host's, or the one runInNetnsSync entered).
   */
  netnsPath?: string;
}

/**
 * Opens `queues` queues of macvtap `ifindex`: each open(2) of its character device (O_RDWR, close-on-exec)
 * is one queue, with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR set by the kernel. The device is the one of the macvtap
 * in its own namespace (see macvtap-device.ts): /dev/tap<ifindex> when that node is it, else a private node
 * made in /dev for the length of this call, because /dev/tap<N> may belong to another namespace's macvtap.
 * Needs loadNetlinkModules() first. Throws E_NETWORK_ARGUMENT, E_NETWORK_NETNS, E_NETWORK_NETLINK_SOCKET
 * (modules not loaded), E_NETWORK_TAP (`details.device`, `details.queue`); on failure every fd is closed.
 */
export function openMacvtapQueues(ifindex: number, queues: number, options: MacvtapQueueOptions = {}): number[] {
  checkIndex(ifindex, 'ifindex');
  checkQueues(queues);
  const device = `/dev/tap${ifindex}`;
  const where = { device, ifindex, netns: options.netnsPath };
  const sys = nativeSyscalls(where);
  const dev = lookUp(() => macvtapDeviceNumber(sys, ifindex), options.netnsPath, where);

  let node = device;
  if (!isDevice(device, dev)) {
    try {
      node = makeDeviceNode(sys, '/dev', dev, `tap${ifindex}`);
    } catch (err) {
      throw NetworkErrors.NETWORK_TAP.create('Macvtap device node could not be made', {
        cause: err, details: { ...where, reason: (err as Error).message },
        hint: `${device} belongs to another namespace's macvtap or is missing; making a private node in /dev needs CAP_MKNOD`,
      });
    }
  }
  const fds: number[] = [];
  try {
    for (let queue = 0; queue < queues; queue++) {
      try {
        fds.push(openSync(node, constants.O_RDWR));
        if (fstatSync(fds[queue], { bigint: true }).rdev !== userDev(dev)) throw new Error(`${node} was replaced by another device`);
      } catch (err) {
        closeFds(fds);
        throw NetworkErrors.NETWORK_TAP.create('Macvtap queue could not be opened', {
          cause: err, details: { ...where, node, queue, queues, errno: errnoOf(err) },
        });
      }
    }
  } finally {
    if (node !== device) removeDeviceNode(node);
  }
  return fds;
}

function lookUp(find: () => DeviceNumber | undefined, netnsPath: string | undefined, where: Record<string, unknown>): DeviceNumber {
  let dev: DeviceNumber | undefined;
  try {
    dev = netnsPath === undefined ? find() : runInNetnsSync(netnsPath, find);
  } catch (err) {
    if (isCellaError(err)) throw err;
    throw NetworkErrors.NETWORK_TAP.create('Macvtap device could not be looked up', {
      cause: err, details: { ...where, reason: (err as Error).message },
      hint: 'Reading the namespace\'s sysfs needs fsopen(2) (Linux 5.2+) and CAP_SYS_ADMIN',
    });
  }
  if (dev === undefined) {
    throw NetworkErrors.NETWORK_TAP.create('Network namespace has no macvtap with this ifindex', {
      details: where,
      hint: 'Give the namespace the macvtap was created in (options.netnsPath), or call this inside runInNetnsSync for it',
    });
  }
  return dev;
}
