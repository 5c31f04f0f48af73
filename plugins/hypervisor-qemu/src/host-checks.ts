// SPDX-License-Identifier: Apache-2.0
import { promises as fs } from 'node:fs';
import type { HostCheck, HostCheckResult } from '@cella/core';
import { lookupUser } from '@cella/core/process';
import { accelCacheFile, cachedAccel } from './kvm-probe';
import { isPvmHost, kvmDeviceProblem, qemuVersion, resolveQemuBinary } from './qemu-binary';
import { SECCOMP_SANDBOX } from './qemu-command-line';
import { resolveQemuConfig, type QemuConfig } from './qemu-config';

async function isCharDevice(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isCharacterDevice() ?? false;
}

/** `cella check` lines for QEMU: the binary, KVM or the TCG fallback, its confinement, and the host devices QEMU uses. */
export class QemuHostChecks implements HostCheck {
  private readonly config: QemuConfig;

  constructor(config: Partial<QemuConfig>, private readonly paths: { cache: string }) {
    this.config = resolveQemuConfig(config);
  }

  async run(): Promise<HostCheckResult[]> {
    const out: HostCheckResult[] = [];
    let version: string | undefined;
    try {
      const binary = await resolveQemuBinary(this.config.path);
      version = await qemuVersion(binary);
      out.push({ name: 'QEMU', status: 'pass', detail: `${version} (${binary})` });
    } catch {
      out.push({ name: 'QEMU', status: 'fail', detail: `${this.config.path} not found or not runnable: install qemu-system-x86 or set path under [plugins."hypervisor.qemu"]` });
    }
    out.push(await this.accelLine(version));
    out.push(this.seccompLine(), await this.userLine());
    out.push(await isCharDevice('/dev/vhost-vsock')
      ? { name: '/dev/vhost-vsock', status: 'pass', detail: 'vsock agent channels available' }
      : { name: '/dev/vhost-vsock', status: 'warn', detail: 'missing: agent uses virtio-serial' });
    out.push(await isCharDevice('/dev/vhost-net')
      ? { name: '/dev/vhost-net', status: 'pass', detail: 'vhost networking available' }
      : { name: '/dev/vhost-net', status: 'warn', detail: 'missing: taps run without vhost (slower networking)' });
    out.push(await isCharDevice('/dev/net/tun')
      ? { name: '/dev/net/tun', status: 'pass', detail: 'tap devices available' }
      : { name: '/dev/net/tun', status: 'fail', detail: 'missing: load the tun module (modprobe tun)' });
    return out;
  }

  /** The posture lines (docs/adr/0012): QEMU's seccomp filter, and the user and capabilities QEMU runs with. */
  private seccompLine(): HostCheckResult {
    return this.config.seccomp_sandbox
      ? { name: 'QEMU seccomp', status: 'pass', detail: `on: -sandbox ${SECCOMP_SANDBOX}` }
      : { name: 'QEMU seccomp', status: 'warn', detail: 'off (seccomp_sandbox = false): a QEMU escape may use every system call' };
  }

  private async userLine(): Promise<HostCheckResult> {
    const name = 'QEMU user';
    if (!this.config.rootless) return { name, status: 'warn', detail: 'root with every capability (rootless = false): a QEMU escape is host root' };
    const user = await lookupUser(this.config.user).catch(() => undefined);
    const posture = 'no capabilities (effective, permitted, inheritable, ambient, bounding), no_new_privs, dies with its starter';
    if (!user) return { name, status: 'warn', detail: `${this.config.user} (not made yet: the first start makes it, or run scripts/setup-host.sh); ${posture}` };
    if (user.uid === 0) return { name, status: 'fail', detail: `${this.config.user} is uid 0: set user under [plugins."hypervisor.qemu"] to an unprivileged user` };
    return { name, status: 'pass', detail: `${user.name} (uid ${user.uid}, gid ${user.gid}); ${posture}` };
  }

  private async accelLine(version: string | undefined): Promise<HostCheckResult> {
    const name = 'KVM';
    if (this.config.accel === 'tcg') return { name, status: 'warn', detail: 'TCG fallback: accel = "tcg" is configured' };
    const problem = await kvmDeviceProblem();
    if (problem) {
      return this.config.accel === 'kvm'
        ? { name, status: 'fail', detail: `accel = "kvm" is configured but ${problem}` }
        : { name, status: 'warn', detail: `TCG fallback: ${problem}` };
    }
    if (this.config.accel === 'kvm') return { name, status: 'pass', detail: '/dev/kvm opens; accel = "kvm" is configured (not probed)' };
    const verdict = version ? await cachedAccel(accelCacheFile(this.paths.cache), version) : undefined;
    if (verdict?.accel === 'kvm') return { name, status: 'pass', detail: `KVM usable: ${verdict.reason}` };
    if (verdict?.accel === 'tcg') return { name, status: 'warn', detail: `TCG fallback: ${verdict.reason}` };
    if (await isPvmHost()) {
      return { name, status: 'warn', detail: 'TCG fallback likely: the host KVM module is kvm_pvm (stock guest kernels hang); the first start boots a test guest to decide' };
    }
    return { name, status: 'pass', detail: '/dev/kvm opens; the first start confirms KVM with a test boot' };
  }
}
