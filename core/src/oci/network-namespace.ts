// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import { E } from '../errors/codes';
import type { OciSpec } from './spec';

/** The runtime's own network namespaces: the host's (pid 1's) and the caller's. */
const OWN_NAMESPACES: ReadonlyArray<readonly [string, string]> = [['/proc/1/ns/net', "the host's"], ['/proc/self/ns/net', "this runtime's own"]];

/**
 * Refuse a spec whose network namespace path is the host's or the caller's (issue #9): the network plugin
 * carries every interface of that namespace into the VM, so the host's own links and inbound traffic would go to
 * the guest. Namespaces are compared by identity (st_dev + st_ino of the nsfs inode), so another path to the
 * same namespace (a bind mount under /run/netns, /proc/<pid>/ns/net) is refused too. Checked before anything is
 * made. A path that does not exist is left to the network plugin, which names it.
 */
export async function checkNetworkNamespaces(spec: OciSpec, file: string): Promise<void> {
  const entries = (spec.linux?.namespaces ?? []).map((n, i) => [n, i] as const).filter(([n]) => n.type === 'network' && n.path !== undefined);
  if (entries.length === 0) return;
  const own = await Promise.all(OWN_NAMESPACES.map(async ([path, whose]) => {
    const st = await fs.stat(path, { bigint: true }).catch(() => undefined);
    return st && { dev: st.dev, ino: st.ino, whose };
  }));
  for (const [n, i] of entries) {
    const st = await fs.stat(n.path!, { bigint: true }).catch(() => undefined);
    const same = st && own.find((o) => o && o.dev === st.dev && o.ino === st.ino);
    if (same) {
      const field = `linux.namespaces[${i}].path`;
      throw E.BUNDLE_INVALID.create(`The bundle's config.json is invalid: ${field} is ${same.whose} network namespace`, {
        details: { file, field, path: n.path },
        hint: 'Name a network namespace made for the container (as CNI makes one), or leave the path out to give the container the guest\'s own network.',
      });
    }
  }
}
