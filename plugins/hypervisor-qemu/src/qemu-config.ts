// SPDX-License-Identifier: Apache-2.0
/** The options of `[plugins."hypervisor.qemu"]`, as `schema/config.schema.json` declares them. */
export interface QemuConfig {
  /** QEMU binary: an absolute path, or a name looked up in PATH. */
  path: string;
  machine: QemuMachine;
  accel: 'auto' | 'kvm' | 'tcg';
  /** `-cpu` value; unset means `host` under KVM and `max` under TCG. */
  cpu_model?: string;
  kvm_probe_timeout_ms: number;
  extra_args: string[];
  kernel_params: string[];
  stop_timeout_ms: number;
  /** Start sandboxes by restoring a saved, booted VM (made by `cella image build`) when one matches. */
  vm_template: boolean;
  /** Where VM templates are kept; unset: `<cache_dir>/vm-templates`. */
  vm_template_dir?: string;
  /** Run QEMU as `user` with no capabilities and no_new_privs (docs/adr/0012). */
  rootless: boolean;
  /** The system user QEMU runs as when `rootless`; made when missing. */
  user: string;
  /** `-sandbox on,…` (QEMU's seccomp filter). */
  seccomp_sandbox: boolean;
  /** Bound of `console.log`; past it the oldest half is dropped. */
  console_log_max_bytes: number;
}

export type QemuMachine = 'q35' | 'microvm';

/** The schema's defaults, for callers that build a config by hand (tests, tools). */
export const QEMU_CONFIG_DEFAULTS: Readonly<QemuConfig> = Object.freeze({
  path: 'qemu-system-x86_64',
  machine: 'q35',
  accel: 'auto',
  kvm_probe_timeout_ms: 8000,
  extra_args: [],
  kernel_params: [],
  stop_timeout_ms: 5000,
  vm_template: false,
  rootless: true,
  user: 'cella-vmm',
  seccomp_sandbox: true,
  console_log_max_bytes: 1024 * 1024,
});

/** Fill what the loader would fill from the schema's defaults. */
export function resolveQemuConfig(config: Partial<QemuConfig> = {}): QemuConfig {
  const out: QemuConfig = { ...QEMU_CONFIG_DEFAULTS, extra_args: [], kernel_params: [] };
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}
