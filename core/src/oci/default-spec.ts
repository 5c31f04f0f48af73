// SPDX-License-Identifier: Apache-2.0
import { goJson, type GoJsonValue } from './go-json';
import type { OciMount, OciSpec } from './spec';

export interface DefaultSpecOptions {
  /** As `runc spec --rootless`: a user namespace mapping `uid`/`gid` to root, no network namespace, no cgroup rules. */
  rootless?: boolean;
  /** Host uid mapped to root when rootless (default: this process's effective uid, as runc). */
  uid?: number;
  /** Host gid mapped to root when rootless (default: this process's effective gid). */
  gid?: number;
}

/** The runtime-spec version runc 1.1 writes (its specs-go is 1.0.2-dev). */
export const DEFAULT_OCI_VERSION = '1.0.2-dev';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * The config.json `runc spec` writes (runc 1.1.5, libcontainer/specconv `Example` and `ToRootless`), same
 * content and key order, so `specFileText(defaultSpec())` is byte for byte runc's file. A fresh object each call.
 */
export function defaultSpec(options: DefaultSpecOptions = {}): OciSpec {
  const spec: OciSpec = {
    ociVersion: DEFAULT_OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: defaultMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  return options.rootless ? toRootless(spec, options) : spec;
}

/** A spec as `runc spec` writes it to config.json: Go's JSON, tab-indented, no trailing newline. */
export function specFileText(spec: OciSpec): string {
  return goJson(spec as unknown as GoJsonValue, '\t');
}

function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/**
 * runc's rootless changes: drop the network (and any user) namespace and add a user namespace; map the
 * caller's ids to root; bind /sys instead of mounting sysfs; drop uid=/gid= mount options; drop resources.
 * `uidMappings`/`gidMappings` come first in `linux`, where Go's struct puts them.
 */
function toRootless(spec: OciSpec, options: DefaultSpecOptions): OciSpec {
  const uid = options.uid ?? process.geteuid?.() ?? 0;
  const gid = options.gid ?? process.getegid?.() ?? 0;
  const linux = spec.linux!;
  const namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  namespaces.push({ type: 'user' });
  const { resources: _dropped, namespaces: _replaced, ...rest } = linux;
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    namespaces,
    ...rest,
  };
  spec.mounts = (spec.mounts ?? []).map((m): OciMount => {
    if (m.destination.replace(/\/+$/, '') === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    const kept = m.options?.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid='));
    const { options: _o, ...base } = m;
    return kept && kept.length > 0 ? { ...base, options: kept } : base;
  });
  return spec;
}
