// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { GUEST_ROOT_SERIAL, isCellaError, type VmDevice, type VmSpec } from '@cella/core';
import { buildQemuArgs, HOTPLUG_PORTS, type QemuArgsOptions } from './qemu-command-line';

function spec(over: Partial<VmSpec> = {}): VmSpec {
  return {
    sandboxId: 'sb1', vcpus: 2, memoryMiB: 512, kernel: '/k/vmlinuz', initrd: '/k/initrd.gz',
    kernelParams: ['quiet', 'cella.agent=1'], devices: [],
    agentChannel: { kind: 'virtio-serial', socketPath: '/run/cella/sb1/agent.sock', name: 'agent.channel.0' },
    runDir: '/run/cella/sb1', consoleLog: '/run/cella/sb1/console.log', ...over,
  };
}

const OPTS: QemuArgsOptions = {
  machine: 'q35', accel: 'tcg', qmpSocket: '/run/cella/sb1/qmp.sock', pidFile: '/run/cella/sb1/qemu.pid', extraArgs: [], kernelParams: [],
};

/** Every value that follows `flag` on the command line. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}
const devices = (args: string[]): string[] => values(args, '-device');
const withDevice = (d: VmDevice, o: Partial<QemuArgsOptions> = {}): string[] => buildQemuArgs(spec({ devices: [d] }), { ...OPTS, ...o });

function specError(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCellaError(err, 'E_HYPERVISOR_SPEC'), String(err));
    assert.equal(err.details.field, field);
    return true;
  });
}

describe('buildQemuArgs', () => {
  it('with handles, names no sandbox path: QMP and agent on listening fds, disks as fd sets, kernel through /proc/self/fd, console on stdout, seccomp on', () => {
    const disk: VmDevice = { kind: 'block', id: 'd1', path: '/run/cella/sb1/rootfs.img', readOnly: false, format: 'raw', driver: 'virtio-blk', serial: 's1' };
    const fs: VmDevice = { kind: 'fs', id: 'f1', socketPath: '/run/cella/sb1/vfs/vhost.sock', tag: 'cella', queueSize: 1024 };
    const args = buildQemuArgs(spec({ devices: [disk, fs], image: '/cache/root.img' }), {
      machine: 'q35', accel: 'tcg', extraArgs: [], kernelParams: [], seccompSandbox: true,
      handles: { qmpFd: 3, agentFd: 4, kernelFd: 5, initrdFd: 6, console: 'stdio', fsFds: new Map([['f1', 7]]), diskFds: new Map([['/cache/root.img', 8], [disk.path, 9]]) },
    });
    assert.ok(!args.some((a) => a.includes('/run/cella/sb1')), args.join(' '));
    assert.deepEqual(values(args, '-mon'), ['chardev=cella-qmp,mode=control']);
    assert.ok(values(args, '-chardev').includes('socket,id=cella-qmp,fd=3,server=on,wait=off'));
    assert.ok(values(args, '-chardev').includes('socket,id=cella-agent,fd=4,server=on,wait=off'));
    assert.ok(values(args, '-chardev').includes('socket,id=fs-f1,fd=7'));
    assert.ok(values(args, '-chardev').includes('stdio,id=cella-console,signal=off'));
    assert.deepEqual(values(args, '-kernel'), ['/proc/self/fd/5']);
    assert.deepEqual(values(args, '-initrd'), ['/proc/self/fd/6']);
    assert.deepEqual(values(args, '-add-fd'), ['fd=8,set=1', 'fd=9,set=2']);
    assert.ok(values(args, '-blockdev').some((b) => b.includes('file.filename=/dev/fdset/1') && b.includes('read-only=on')));
    assert.ok(values(args, '-blockdev').some((b) => b.includes('file.filename=/dev/fdset/2') && b.includes('read-only=off')));
    assert.deepEqual(values(args, '-sandbox'), ['on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny']);
    assert.deepEqual(values(args, '-pidfile'), []);
    assert.deepEqual(values(buildQemuArgs(spec(), OPTS), '-sandbox'), [], 'the filter is the caller\'s choice');
  });

  it('builds a q35 TCG machine with cpu max, memory, kernel, console file, QMP and pid file', () => {
    const args = buildQemuArgs(spec(), OPTS);
    assert.deepEqual(values(args, '-machine'), ['q35,accel=tcg']);
    assert.deepEqual(values(args, '-cpu'), ['max']);
    assert.deepEqual(values(args, '-smp'), ['2']);
    assert.deepEqual(values(args, '-m'), ['512M']);
    for (const flag of ['-nodefaults', '-no-user-config', '-nographic']) assert.ok(args.includes(flag), flag);
    assert.deepEqual(values(args, '-display'), ['none']);
    assert.deepEqual(values(args, '-kernel'), ['/k/vmlinuz']);
    assert.deepEqual(values(args, '-initrd'), ['/k/initrd.gz']);
    assert.deepEqual(values(args, '-chardev')[0], 'file,id=cella-console,path=/run/cella/sb1/console.log');
    assert.deepEqual(values(args, '-serial'), ['chardev:cella-console']);
    assert.deepEqual(values(args, '-qmp'), ['unix:/run/cella/sb1/qmp.sock,server=on,wait=off']);
    assert.deepEqual(values(args, '-pidfile'), ['/run/cella/sb1/qemu.pid']);
  });

  it('uses cpu host under KVM unless a cpu model is configured', () => {
    assert.deepEqual(values(buildQemuArgs(spec(), { ...OPTS, accel: 'kvm' }), '-cpu'), ['host']);
    assert.deepEqual(values(buildQemuArgs(spec(), { ...OPTS, accel: 'kvm', cpuModel: 'Skylake-Server' }), '-cpu'), ['Skylake-Server']);
    assert.deepEqual(values(buildQemuArgs(spec(), { ...OPTS, accel: 'kvm' }), '-machine'), ['q35,accel=kvm']);
  });

  it('appends console=ttyS0 after the spec parameters and the configured parameters last', () => {
    const args = buildQemuArgs(spec(), { ...OPTS, kernelParams: ['loglevel=3'] });
    assert.deepEqual(values(args, '-append'), ['quiet cella.agent=1 console=ttyS0 loglevel=3']);
  });

  it('attaches the guest image as a read-only raw virtio-blk disk with the guest-root serial', () => {
    const args = buildQemuArgs(spec({ image: '/img/root.ext4' }), OPTS);
    assert.deepEqual(values(args, '-blockdev'), ['node-name=drv-cella-root,driver=raw,read-only=on,file.driver=file,file.filename=/img/root.ext4,file.read-only=on']);
    assert.ok(devices(args).includes(`virtio-blk-pci,id=cella-root,drive=drv-cella-root,serial=${GUEST_ROOT_SERIAL}`));
  });

  it('wires the virtio-serial agent channel to a server socket and a named port', () => {
    const args = buildQemuArgs(spec(), OPTS);
    assert.ok(values(args, '-chardev').includes('socket,id=cella-agent,path=/run/cella/sb1/agent.sock,server=on,wait=off'));
    assert.ok(devices(args).includes('virtio-serial-pci,id=cella-vserial'));
    assert.ok(devices(args).includes('virtserialport,id=cella-agent-port,bus=cella-vserial.0,chardev=cella-agent,name=agent.channel.0'));
  });

  it('uses vhost-vsock-pci with the guest cid for a vsock channel', () => {
    const args = buildQemuArgs(spec({ agentChannel: { kind: 'vsock', cid: 42, port: 1024 } }), OPTS);
    assert.ok(devices(args).includes('vhost-vsock-pci,id=cella-vsock,guest-cid=42'));
    assert.ok(!devices(args).some((d) => d.startsWith('virtserialport')));
  });

  it('refuses a hybrid-vsock channel as unsupported by QEMU', () => {
    assert.throws(() => buildQemuArgs(spec({ agentChannel: { kind: 'hybrid-vsock', socketPath: '/r/h.sock', port: 1024 } }), OPTS),
      (err: unknown) => isCellaError(err, 'E_HYPERVISOR_UNSUPPORTED_CHANNEL') && err.category === 'NotSupported');
  });

  it('gives a virtio-blk disk its serial, format and read-only flag', () => {
    const rw = withDevice({ kind: 'block', id: 'data', path: '/d/data.qcow2', readOnly: false, format: 'qcow2', driver: 'virtio-blk', serial: 'data-1' });
    assert.ok(values(rw, '-blockdev').includes('node-name=drv-data,driver=qcow2,read-only=off,file.driver=file,file.filename=/d/data.qcow2,file.read-only=off'));
    assert.ok(devices(rw).includes('virtio-blk-pci,id=data,drive=drv-data,serial=data-1'));
    const ro = withDevice({ kind: 'block', id: 'data', path: '/d/data.raw', readOnly: true, format: 'raw', driver: 'virtio-blk', serial: 'data-1' });
    assert.ok(values(ro, '-blockdev').includes('node-name=drv-data,driver=raw,read-only=on,file.driver=file,file.filename=/d/data.raw,file.read-only=on'));
  });

  it('opens block devices with host_device', () => {
    const args = withDevice({ kind: 'block', id: 'lv', path: '/dev/vg0/lv', readOnly: false, format: 'raw', driver: 'virtio-blk', serial: 'lv' });
    assert.ok(values(args, '-blockdev')[0]!.includes('file.driver=host_device,file.filename=/dev/vg0/lv'));
    const custom = withDevice({ kind: 'block', id: 'lv', path: '/srv/loop', readOnly: false, format: 'raw', driver: 'virtio-blk', serial: 'lv' }, { isHostDevice: () => true });
    assert.ok(values(custom, '-blockdev')[0]!.includes('file.driver=host_device'));
  });

  it('puts virtio-scsi disks on one virtio-scsi-pci controller as scsi-hd with their serial', () => {
    const a: VmDevice = { kind: 'block', id: 'a', path: '/d/a', readOnly: true, format: 'raw', driver: 'virtio-scsi', serial: 'sa' };
    const b: VmDevice = { ...a, id: 'b', serial: 'sb', readOnly: false };
    const args = buildQemuArgs(spec({ devices: [a, b] }), OPTS);
    assert.equal(devices(args).filter((d) => d.startsWith('virtio-scsi-pci')).length, 1);
    assert.ok(devices(args).includes('scsi-hd,id=a,drive=drv-a,serial=sa,bus=cella-scsi.0'));
    assert.ok(devices(args).includes('scsi-hd,id=b,drive=drv-b,serial=sb,bus=cella-scsi.0'));
    assert.ok(values(args, '-blockdev').some((b2) => b2.startsWith('node-name=drv-a,driver=raw,read-only=on')));
  });

  it('backs guest RAM with a shared memfd on the NUMA node for virtio-fs', () => {
    const args = withDevice({ kind: 'fs', id: 'share0', socketPath: '/run/v.sock', tag: 'rootfs', queueSize: 1024 });
    assert.deepEqual(values(args, '-object'), ['memory-backend-memfd,id=cella-mem,size=512M,share=on']);
    assert.deepEqual(values(args, '-numa'), ['node,memdev=cella-mem']);
    assert.ok(values(args, '-chardev').includes('socket,id=fs-share0,path=/run/v.sock'));
    assert.ok(devices(args).includes('vhost-user-fs-pci,id=share0,chardev=fs-share0,tag=rootfs,queue-size=1024'));
    assert.deepEqual(values(buildQemuArgs(spec(), OPTS), '-object'), []);
  });

  it('passes a single tap fd with vhost off and the MAC and MTU', () => {
    const args = withDevice({ kind: 'net', id: 'eth0', mac: '02:AA:00:00:00:01', mtu: 1400, queues: 1, fds: [3] });
    assert.deepEqual(values(args, '-netdev'), ['tap,id=nd-eth0,fd=3,vhost=off']);
    assert.ok(devices(args).includes('virtio-net-pci,id=eth0,netdev=nd-eth0,mac=02:aa:00:00:00:01,host_mtu=1400,romfile='));
  });

  it('turns on multiqueue with 2*queues+2 vectors for a multi-queue tap', () => {
    const args = withDevice({ kind: 'net', id: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, queues: 4, fds: [5, 6, 7, 8] });
    assert.deepEqual(values(args, '-netdev'), ['tap,id=nd-eth0,fds=5:6:7:8,vhost=off']);
    assert.ok(devices(args).includes('virtio-net-pci,id=eth0,netdev=nd-eth0,mac=02:00:00:00:00:01,host_mtu=1500,romfile=,mq=on,vectors=10'));
    const byName = withDevice({ kind: 'net', id: 'eth1', mac: '02:00:00:00:00:02', mtu: 1500, queues: 2, ifname: 'tap7' });
    assert.deepEqual(values(byName, '-netdev'), ['tap,id=nd-eth1,ifname=tap7,script=no,downscript=no,queues=2,vhost=off']);
    assert.ok(devices(byName).some((d) => d.startsWith('virtio-net-pci,id=eth1') && d.endsWith('mq=on,vectors=6')));
  });

  it('passes a host PCI function through with vfio-pci', () => {
    const args = withDevice({ kind: 'vfio', id: 'gpu0', pciAddress: '0000:3b:00.0' });
    assert.ok(devices(args).includes('vfio-pci,id=gpu0,host=0000:3b:00.0'));
  });

  it('gives q35 empty PCIe root ports for hot-plug', () => {
    const ports = devices(buildQemuArgs(spec(), OPTS)).filter((d) => d.startsWith('pcie-root-port'));
    assert.deepEqual(ports, HOTPLUG_PORTS.map((id, i) => `pcie-root-port,id=${id},bus=pcie.0,chassis=${i + 1}`));
  });

  it('escapes commas in paths and serials as ",,"', () => {
    const args = buildQemuArgs(spec({
      consoleLog: '/run/a,b/console.log',
      devices: [{ kind: 'block', id: 'd', path: '/img/x,y.raw', readOnly: true, format: 'raw', driver: 'virtio-blk', serial: 's,1' }],
      agentChannel: { kind: 'virtio-serial', socketPath: '/run/a,b/agent.sock', name: 'agent.0' },
    }), { ...OPTS, qmpSocket: '/run/a,b/qmp.sock' });
    assert.ok(values(args, '-chardev').includes('file,id=cella-console,path=/run/a,,b/console.log'));
    assert.ok(values(args, '-chardev').includes('socket,id=cella-agent,path=/run/a,,b/agent.sock,server=on,wait=off'));
    assert.deepEqual(values(args, '-qmp'), ['unix:/run/a,,b/qmp.sock,server=on,wait=off']);
    assert.ok(values(args, '-blockdev').some((b) => b.includes('file.filename=/img/x,,y.raw,')));
    assert.ok(devices(args).includes('virtio-blk-pci,id=d,drive=drv-d,serial=s,,1'));
  });

  it('appends the configured extra arguments last', () => {
    const args = buildQemuArgs(spec(), { ...OPTS, extraArgs: ['-msg', 'timestamp=on'] });
    assert.deepEqual(args.slice(-2), ['-msg', 'timestamp=on']);
  });

  it('builds a microvm machine with virtio-mmio device models and ACPI off', () => {
    const args = buildQemuArgs(spec({
      image: '/img/root.ext4',
      devices: [
        { kind: 'block', id: 'a', path: '/d/a', readOnly: true, format: 'raw', driver: 'virtio-scsi', serial: 'sa' },
        { kind: 'fs', id: 'share0', socketPath: '/run/v.sock', tag: 'rootfs' },
        { kind: 'net', id: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, queues: 2, fds: [3, 4] },
      ],
    }), { ...OPTS, machine: 'microvm' });
    assert.deepEqual(values(args, '-machine'), ['microvm,accel=tcg,acpi=off,x-option-roms=off,memory-backend=cella-mem']);
    assert.deepEqual(values(args, '-numa'), []);
    const models = devices(args).map((d) => d.split(',')[0]);
    assert.deepEqual(models, ['virtio-blk-device', 'virtio-scsi-device', 'scsi-hd', 'vhost-user-fs-device', 'virtio-net-device', 'virtio-serial-device', 'virtserialport']);
    assert.ok(!devices(args).some((d) => d.includes('vectors=') || d.includes('romfile')));
    assert.ok(!args.includes('-no-acpi'));
    assert.ok(devices(buildQemuArgs(spec({ agentChannel: { kind: 'vsock', cid: 3, port: 1 } }), { ...OPTS, machine: 'microvm' })).includes('vhost-vsock-device,id=cella-vsock,guest-cid=3'));
  });

  it('refuses VFIO on microvm, which has no PCI', () => {
    specError(() => withDevice({ kind: 'vfio', id: 'gpu0', pciAddress: '0000:3b:00.0' }, { machine: 'microvm' }), 'devices[0]');
  });

  it('names the field of a device id that QEMU cannot take', () => {
    const disk = { kind: 'block', path: '/d/a', readOnly: true, format: 'raw', driver: 'virtio-blk', serial: 's' } as const;
    specError(() => withDevice({ ...disk, id: 'a,b' }), 'devices[0].id');
    specError(() => withDevice({ ...disk, id: '1abc' }), 'devices[0].id');
    specError(() => withDevice({ ...disk, id: 'cella-root' }), 'devices[0].id');
    specError(() => buildQemuArgs(spec({ devices: [{ ...disk, id: 'x' }, { ...disk, id: 'x' }] }), OPTS), 'devices[1].id');
  });

  it('names the field of other values QEMU cannot take', () => {
    const disk = { kind: 'block', id: 'd', path: '/d/a', readOnly: true, format: 'raw', driver: 'virtio-blk', serial: 's' } as const;
    specError(() => withDevice({ ...disk, serial: 'a-serial-longer-than-20' }), 'devices[0].serial');
    specError(() => withDevice({ ...disk, path: 'relative.img' }), 'devices[0].path');
    specError(() => withDevice({ kind: 'net', id: 'n', mac: '02:00:00:00:00:01', mtu: 1500, queues: 2, fds: [3] }), 'devices[0].fds');
    specError(() => withDevice({ kind: 'net', id: 'n', mac: 'zz', mtu: 1500, queues: 1, fds: [3] }), 'devices[0].mac');
    specError(() => withDevice({ kind: 'fs', id: 'f', socketPath: `/run/${'x'.repeat(120)}.sock`, tag: 't' }), 'devices[0].socketPath');
    specError(() => withDevice({ kind: 'vfio', id: 'v', pciAddress: '3b:00' }), 'devices[0].pciAddress');
    specError(() => buildQemuArgs(spec({ vcpus: 0 }), OPTS), 'vcpus');
    specError(() => buildQemuArgs(spec({ kernel: 'vmlinuz' }), OPTS), 'kernel');
    specError(() => buildQemuArgs(spec({ agentChannel: { kind: 'virtio-serial', socketPath: '/r/a.sock', name: 'a,b' } }), OPTS), 'agentChannel.name');
  });
});
