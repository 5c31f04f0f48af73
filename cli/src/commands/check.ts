// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { ACCEPTED_OCI_VERSIONS, GUEST_OCI_VERSION, GuestImage, HostCheck, HypervisorFactory, type HostCheckResult } from '@cella/core';
import { contributions, resolve } from '@cella/core/di';
import { BaseCommand } from '../base-command';
import { probeContext } from '../probe-context';
import { json, out, table } from '../render/output';
import type { Runtime } from '../runtime';

export default class Check extends BaseCommand<typeof Check> {
  static override description = 'Check what this host can do: QEMU, KVM or TCG, vsock, vhost-net, tun, guest image, accepted OCI versions';
  static override flags = { json: Flags.boolean({ description: 'Print JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Check);
    this.jsonOutput = flags.json;
    const rt = await this.runtime(this.globals(flags), 'error');
    const results: HostCheckResult[] = [];
    for (const check of contributions(rt.container, HostCheck)) results.push(...(await check.run()));
    if (!results.some((r) => r.name === 'virtiofsd')) results.push(virtiofsdCheck());
    const image = await imageCheck(resolve(rt.container, GuestImage));
    results.push(image);
    const template = image.status === 'pass' ? await templateCheck(rt) : undefined;
    if (template) results.push(template);
    results.push(ociVersionsCheck());
    if (flags.json) json({ checks: results });
    else out(table(results.map((r) => [r.status.toUpperCase(), r.name, r.detail])));
    if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
  }
}

/** Which runtime-spec versions a bundle may declare (docs/adr/0014): the rest are refused before boot. */
function ociVersionsCheck(): HostCheckResult {
  return {
    name: 'OCI runtime-spec',
    status: 'pass',
    detail: `bundles with ociVersion ${ACCEPTED_OCI_VERSIONS} (1.2 and 1.3 reach the guest's crun as ${GUEST_OCI_VERSION}; fields it would not apply are refused)`,
  };
}

/** Until a virtio-fs storage plugin reports its own binary (issue #5): is a virtiofsd on this host at all? */
function virtiofsdCheck(): HostCheckResult {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/libexec', '/usr/lib/qemu'];
  const found = dirs.map((d) => join(d, 'virtiofsd')).find((p) => existsSync(p));
  return found
    ? { name: 'virtiofsd', status: 'pass', detail: found }
    : { name: 'virtiofsd', status: 'warn', detail: 'not found: no virtio-fs shared folders on this host' };
}

/** With VM templates on: whether `run` would restore one (a missing one is a warning: runs boot instead). */
async function templateCheck(rt: Runtime): Promise<HostCheckResult | undefined> {
  const probe = await probeContext(rt);
  try {
    const hv = resolve(rt.container, HypervisorFactory)(probe.ctx);
    if (!(await hv.capabilities()).templates) return undefined;
    const t = await hv.findTemplate?.(await probe.vmSpec(resolve(rt.container, GuestImage)));
    return t
      ? { name: 'VM template', status: 'pass', detail: `${t.key.slice(0, 12)} (${(t.bytes / 1048576).toFixed(0)} MiB, ${t.createdAt}) in ${t.dir}` }
      : { name: 'VM template', status: 'warn', detail: 'none for this image and config: sandboxes boot; `cella image build` makes one' };
  } catch (err) {
    return { name: 'VM template', status: 'fail', detail: err instanceof Error ? err.message : String(err) };
  } finally {
    await probe.dispose();
  }
}

/** What `run` would find: no image, an image older than its inputs (boot refuses it), or a usable one. */
async function imageCheck(image: GuestImage): Promise<HostCheckResult> {
  let status: Awaited<ReturnType<GuestImage['status']>>;
  try {
    status = await image.status();
  } catch (err) {
    return { name: 'guest image', status: 'fail', detail: err instanceof Error ? err.message : String(err) };
  }
  const { image: cur, fresh } = status;
  if (!cur) return { name: 'guest image', status: 'fail', detail: 'none built: run `cella image build`' };
  const what = `${cur.key.slice(0, 12)} (kernel ${cur.kernelRelease}) in ${cur.dir}`;
  if (!fresh) return { name: 'guest image', status: 'fail', detail: `${what} is older than its inputs: run \`cella image build\`` };
  return { name: 'guest image', status: 'pass', detail: what };
}
