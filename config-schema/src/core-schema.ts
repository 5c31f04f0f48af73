// SPDX-License-Identifier: Apache-2.0
import type { LogLevel } from '@cella/core';

/** Where the host config lives when neither `--config` nor `CELLA_CONFIG` names a file. */
export const DEFAULT_CONFIG_PATH = '/etc/cella/config.toml';

/** The validated config: every key present, defaults filled in. */
export interface CellaConfig {
  version: 1;
  runtime: {
    /** State root. */
    root: string;
    /** Persistent cache: images, probes. */
    cache_dir: string;
    log_level: LogLevel;
    /** Extra folders searched for plugin packages. */
    plugin_dirs: string[];
  };
  sandbox: {
    default_vcpus: number;
    default_memory_mib: number;
    boot_timeout_ms: number;
  };
  /** Each role selects a plugin by package name or absolute path. */
  hypervisor: { plugin: string };
  agent: { plugin: string };
  /**
   * `plugin` delivers each container's rootfs, and its volumes (the spec's mounts) unless `volumes` names
   * another storage plugin for them (e.g. block rootfs, virtio-fs volumes).
   */
  storage: { plugin: string; volumes?: string };
  /** `"none"` runs sandboxes without a network. */
  network: { plugin: string };
  /** Options of each plugin, keyed by plugin id (`hypervisor.qemu`), checked by that plugin's schema fragment. */
  plugins: Record<string, Record<string, unknown>>;
}

/**
 * `x-problem` is an annotation keyword (registered with ajv by the validator): the problem text shown
 * when a `pattern` or `minLength` check fails, instead of the raw regular expression.
 */
const ABSOLUTE_PATH = { type: 'string', pattern: '^/', 'x-problem': 'must be an absolute path' };

// npm package name (optionally scoped) or an absolute path; `none` is a valid package-shaped word too.
const PLUGIN_REF = {
  type: 'string',
  pattern: '^(/.*|(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*)$',
  'x-problem': 'must be a package name or an absolute path',
};

function role(description: string, plugin: string, more: Record<string, object> = {}): object {
  return {
    type: 'object',
    description,
    default: {},
    additionalProperties: false,
    properties: { plugin: { ...PLUGIN_REF, default: plugin, description: 'Plugin package name or absolute path.' }, ...more },
  };
}

function integer(minimum: number, maximum: number, value: number, description: string): object {
  return { type: 'integer', minimum, maximum, default: value, description };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The core JSON Schema (draft-07). Standalone it accepts any `[plugins."<id>"]` table, so the roles can be
 * read before plugins are loaded; `composeSchema` closes `plugins` to the loaded plugins' fragments.
 * Frozen: copy it (`structuredClone`) before changing it.
 */
export const CORE_CONFIG_SCHEMA: Readonly<Record<string, unknown>> = deepFreeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Cella host config',
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { const: 1, default: 1, description: 'Config format version.' },
    runtime: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        root: { ...ABSOLUTE_PATH, default: '/run/cella', description: 'State root.' },
        cache_dir: { ...ABSOLUTE_PATH, default: '/var/cache/cella', description: 'Persistent cache: images, probes.' },
        log_level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'Lowest level logged.' },
        plugin_dirs: {
          type: 'array',
          items: ABSOLUTE_PATH,
          default: [],
          description: 'Extra folders searched for plugin packages.',
        },
      },
    },
    sandbox: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        default_vcpus: integer(1, 256, 1, 'vCPUs of a sandbox VM.'),
        default_memory_mib: integer(128, 1048576, 512, 'Memory of a sandbox VM in MiB.'),
        boot_timeout_ms: integer(1000, 600000, 60000, 'Time the guest agent has to answer after VM start.'),
      },
    },
    hypervisor: role('Hypervisor role.', '@cella/hypervisor-qemu'),
    agent: role('Guest agent role.', '@cella/agent'),
    storage: role('Storage role: `plugin` delivers container rootfs (and volumes unless `volumes` is set).', '@cella/storage-block', {
      volumes: { ...PLUGIN_REF, description: 'Storage plugin for the volumes (the spec\'s mounts); default: the rootfs plugin.' },
    }),
    network: role('Network role: carries a pod network namespace named by the OCI spec into the VM; "none" for no network.', '@cella/network-tap'),
    plugins: {
      type: 'object',
      default: {},
      description: 'Options of each plugin, keyed by plugin id.',
      additionalProperties: { type: 'object' },
    },
  },
});
