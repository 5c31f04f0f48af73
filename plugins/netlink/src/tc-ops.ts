// SPDX-License-Identifier: Apache-2.0
import { checkIndex, checkUnsigned } from './link-arguments';
import type { NetlinkClient } from './netlink-client';
import { NLM_F } from './rtnetlink-constants';
import { isKernelError, withRequestContext } from './request-context';
import { type TcFilter, type TcQdisc, decodeFilter, decodeQdisc, encodeTc, filterInfo, isFilterEntry, tcAttr } from './tc-codec';
import { ETH_P_ALL, RTM_TC, TC_H } from './tc-constants';

/**
 * The tc model Kata calls tcfilter: the veth's ingress is redirected to the tap's egress and the tap's
 * ingress to the veth's egress, so frames pass between the pod's veth and the VM untouched. The classifier
 * is u32 with one zero-mask key (tc's `u32 match u8 0 0`), as Kata uses: the Debian 12 kernel Cella targets
 * has it built in (CONFIG_NET_CLS_U32=y) while matchall (CONFIG_NET_CLS_MATCHALL) is not built at all there.
 */

const CREATE_EXCL = NLM_F.CREATE | NLM_F.EXCL;
const INGRESS = { handle: TC_H.INGRESS_HANDLE, parent: TC_H.INGRESS };

export type { TcFilter, TcQdisc } from './tc-codec';

/** Adds the ingress qdisc (ffff:, parent ffff:fff1) to link `index`; EEXIST when it has one. */
export async function addIngressQdisc(c: NetlinkClient, index: number): Promise<void> {
  checkIndex(index);
  await withRequestContext('RTM_NEWQDISC', { index, qdisc: 'ingress' }, () =>
    c.request(RTM_TC.NEWQDISC, encodeTc({ index, ...INGRESS }, [tcAttr.kind('ingress')]), CREATE_EXCL));
}

/**
 * Removes the ingress qdisc of link `index` and with it every filter under it. False when there is none
 * (the kernel says EINVAL "Invalid handle" then, so the qdiscs are listed to tell) or no such link.
 */
export async function deleteIngressQdisc(c: NetlinkClient, index: number): Promise<boolean> {
  checkIndex(index);
  try {
    await withRequestContext('RTM_DELQDISC', { index, qdisc: 'ingress' }, () =>
      c.request(RTM_TC.DELQDISC, encodeTc({ index, ...INGRESS }, [tcAttr.kind('ingress')])));
    return true;
  } catch (err) {
    if (isKernelError(err, 'ENODEV')) return false;
    if ((isKernelError(err, 'EINVAL') || isKernelError(err, 'ENOENT'))
      && !(await listQdiscs(c, index)).some((q) => q.handle === TC_H.INGRESS_HANDLE && q.parent === TC_H.INGRESS)) return false;
    throw err;
  }
}

/**
 * Redirects everything arriving at `fromIndex` to the egress of `toIndex` (`tc filter add dev <from>
 * parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev <to>`). `fromIndex` needs
 * its ingress qdisc first; `toIndex` must be up for frames to leave.
 */
export async function addRedirectFilter(c: NetlinkClient, fromIndex: number, toIndex: number): Promise<void> {
  checkIndex(fromIndex, 'fromIndex');
  checkIndex(toIndex, 'toIndex');
  const body = encodeTc({ index: fromIndex, parent: TC_H.INGRESS_HANDLE, info: filterInfo(0, ETH_P_ALL) },
    [tcAttr.kind('u32'), tcAttr.u32MatchAll([tcAttr.mirredRedirect(1, toIndex)])]);
  await withRequestContext('RTM_NEWTFILTER', { fromIndex, toIndex, filter: 'u32 mirred egress redirect' }, () =>
    c.request(RTM_TC.NEWTFILTER, body, CREATE_EXCL));
}

/** The qdiscs of link `index` (the kernel dumps every link's; the others are dropped here). */
export async function listQdiscs(c: NetlinkClient, index: number): Promise<TcQdisc[]> {
  checkIndex(index);
  const messages = await withRequestContext('RTM_GETQDISC', { index }, () => c.dump(RTM_TC.GETQDISC, encodeTc({ index })));
  return messages.filter((m) => m.header.type === RTM_TC.NEWQDISC)
    .map((m) => decodeQdisc(m.payload, m.header.type)).filter((q) => q.index === index);
}

/**
 * The filters of link `index` under `parent` (default: the ingress qdisc), one entry per filter: u32's
 * classifier head and hash tables are left out. Empty when the link or the qdisc does not exist.
 */
export async function listFilters(c: NetlinkClient, index: number, parent: number = TC_H.INGRESS_HANDLE): Promise<TcFilter[]> {
  checkIndex(index);
  checkUnsigned(parent, 'parent');
  const messages = await withRequestContext('RTM_GETTFILTER', { index, parent }, () => c.dump(RTM_TC.GETTFILTER, encodeTc({ index, parent })));
  return messages.filter((m) => m.header.type === RTM_TC.NEWTFILTER).map((m) => decodeFilter(m.payload, m.header.type)).filter(isFilterEntry);
}
