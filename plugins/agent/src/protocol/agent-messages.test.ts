// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import type { GuestInterface, GuestNeighbor, GuestRoute, GuestStorage, OciSpec } from '@cella/core';
import { isCellaError } from '@cella/core/errors';
import { ProtoWriter } from '@cella/core/ttrpc';
import * as P from './agent-messages';

const storage: GuestStorage = { driver: 'blk', source: 'cella-rootfs-1', fstype: 'ext4', options: ['ro', 'noatime'], mountPoint: '/run/cella/c1/rootfs' };
const spec: OciSpec = { ociVersion: '1.1.0', process: { user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'echo hi'], cwd: '/' }, root: { path: '/run/cella/c1/rootfs' } };

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isCellaError(err, code));
}

describe('agent protocol messages', () => {
  it('round-trips CreateContainerRequest with storages and the OCI spec as JSON', () => {
    const m = { containerId: 'c1', execId: '', storages: [storage, { ...storage, driver: 'tmpfs', source: '', options: [''] }], spec };
    assert.deepEqual(P.decodeCreateContainerRequest(P.encodeCreateContainerRequest(m)), m);
  });

  it('puts Kata field numbers on the wire (container_id=1, exec_id=2, storages=5, OCI=6; Storage mount_point=6)', () => {
    const buf = P.encodeCreateContainerRequest({ containerId: 'c', execId: 'e', storages: [storage], spec });
    assert.equal(buf[0], (1 << 3) | 2);
    assert.equal(buf.subarray(0, 6).toString('latin1'), '\x0a\x01c\x12\x01e');
    assert.equal(buf[6], (5 << 3) | 2);
    const storageBuf = P.encodeStorage({ driver: 'x', source: '', fstype: '', options: [], mountPoint: '/m' });
    assert.deepEqual([...storageBuf], [0x0a, 1, 0x78, 0x32, 2, 0x2f, 0x6d]);
    assert.deepEqual([...P.encodeReadStreamRequest({ containerId: 'a', execId: '', len: 5 })], [0x0a, 1, 0x61, 0x18, 5]);
    assert.deepEqual([...P.encodeWaitProcessResponse(7)], [0x08, 7]);
  });

  it('round-trips sandbox, exec, signal, stream and check messages', () => {
    const sb = { sandboxId: 'sb', hostname: 'h', dns: ['1.1.1.1'], storages: [storage] };
    assert.deepEqual(P.decodeCreateSandboxRequest(P.encodeCreateSandboxRequest(sb)), sb);
    const ex = { containerId: 'c', execId: 'e1', process: spec.process! };
    assert.deepEqual(P.decodeExecProcessRequest(P.encodeExecProcessRequest(ex)), ex);
    assert.deepEqual(P.decodeSignalProcessRequest(P.encodeSignalProcessRequest({ containerId: 'c', execId: 'e', signal: 9 })), { containerId: 'c', execId: 'e', signal: 9 });
    const w = { containerId: 'c', execId: '', data: Buffer.from('abc') };
    assert.deepEqual(P.decodeWriteStreamRequest(P.encodeWriteStreamRequest(w)), w);
    assert.equal(P.decodeWriteStreamResponse(P.encodeWriteStreamResponse(3), 3), 3);
    assert.deepEqual(P.decodeReadStreamResponse(P.encodeReadStreamResponse({ data: Buffer.from('xy'), eof: false }), 2), { data: Buffer.from('xy'), eof: false });
    assert.deepEqual(P.decodeReadStreamResponse(P.encodeReadStreamResponse({ data: Buffer.alloc(0), eof: true }), 2), { data: Buffer.alloc(0), eof: true });
    assert.equal(P.decodeWaitProcessResponse(P.encodeWaitProcessResponse(143)).status, 143);
    const ck = { status: P.CHECK_SERVING, agentVersion: '1', kernelRelease: '6.1.0' };
    assert.deepEqual(P.decodeCheckResponse(P.encodeCheckResponse(ck)), ck);
    const tty = { containerId: 'c', execId: '', rows: 24, columns: 80 };
    assert.deepEqual(P.decodeTtyWinResizeRequest(P.encodeTtyWinResizeRequest(tty)), tty);
    assert.deepEqual(P.decodeRemoveContainerRequest(P.encodeRemoveContainerRequest({ containerId: 'c', timeoutSeconds: 5 })), { containerId: 'c', timeoutSeconds: 5 });
  });

  it('round-trips interfaces, routes and neighbours in Kata types.proto layout', () => {
    const iface: GuestInterface = { name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, addresses: [
      { family: 4, address: '10.0.0.2', prefixLength: 24 }, { family: 6, address: 'fd00::2', prefixLength: 64 }] };
    assert.deepEqual(P.decodeUpdateInterfaceRequest(P.encodeUpdateInterfaceRequest(iface)), iface);
    assert.deepEqual(P.decodeInterface(P.encodeInterface(iface)), iface);
    const routes: GuestRoute[] = [{ destination: '0.0.0.0/0', gateway: '10.0.0.1', device: 'eth0', family: 4 },
      { destination: 'fd00::/64', device: 'eth0', source: 'fd00::2', scope: 253, family: 6 }];
    assert.deepEqual(P.decodeUpdateRoutesRequest(P.encodeUpdateRoutesRequest(routes)), routes);
    const neighbors: GuestNeighbor[] = [{ address: '10.0.0.1', mac: '02:00:00:00:00:fe', device: 'eth0', state: 128 }];
    assert.deepEqual(P.decodeAddArpNeighborsRequest(P.encodeAddArpNeighborsRequest(neighbors)), neighbors);
  });

  it('skips unknown fields and fields with an unexpected wire type', () => {
    const buf = new ProtoWriter().string(1, 'c1').uint32(2, 5).string(99, 'future').uint32(3, 9).finish();
    assert.deepEqual(P.decodeSignalProcessRequest(buf), { containerId: 'c1', execId: '', signal: 9 });
  });

  it('rejects a string field over 64 KiB', () => {
    const buf = new ProtoWriter().string(1, 'x'.repeat(64 * 1024 + 1)).finish();
    assertCode(() => P.decodeContainerRef(buf), 'E_AGENT_PROTOCOL');
    const host = new ProtoWriter().string(1, 'h'.repeat(256)).finish();
    assertCode(() => P.decodeCreateSandboxRequest(host), 'E_AGENT_PROTOCOL');
  });

  it('rejects a repeated field with more than 1024 items', () => {
    const w = new ProtoWriter();
    for (let i = 0; i < 1025; i++) w.message(5, Buffer.from('o'));
    assertCode(() => P.decodeStorage(w.finish()), 'E_AGENT_PROTOCOL');
    const routes = Array.from({ length: 1025 }, () => ({ destination: '10.0.0.0/8', device: 'eth0', family: 4 as const }));
    assertCode(() => P.decodeUpdateRoutesRequest(P.encodeUpdateRoutesRequest(routes)), 'E_AGENT_PROTOCOL');
    assert.equal(P.decodeUpdateRoutesRequest(P.encodeUpdateRoutesRequest(routes.slice(0, 1024))).length, 1024);
  });

  it('rejects OCI JSON over 1 MiB, JSON that does not parse, and a missing spec', () => {
    const big = new ProtoWriter().string(1, 'c').string(6, JSON.stringify({ ociVersion: '1', pad: 'x'.repeat(1024 * 1024) })).finish();
    assertCode(() => P.decodeCreateContainerRequest(big), 'E_AGENT_PROTOCOL');
    assertCode(() => P.encodeCreateContainerRequest({ containerId: 'c', execId: '', storages: [], spec: { ociVersion: '1', pad: 'x'.repeat(1024 * 1024) } }), 'E_AGENT_SPEC_INVALID');
    assertCode(() => P.decodeCreateContainerRequest(new ProtoWriter().string(6, '{nope').finish()), 'E_AGENT_SPEC_INVALID');
    assertCode(() => P.decodeCreateContainerRequest(new ProtoWriter().string(6, '[1]').finish()), 'E_AGENT_SPEC_INVALID');
    assertCode(() => P.decodeCreateContainerRequest(new ProtoWriter().string(1, 'c').finish()), 'E_AGENT_SPEC_INVALID');
  });

  it('rejects read data longer than requested, data with eof, and an empty non-eof answer', () => {
    assertCode(() => P.decodeReadStreamResponse(P.encodeReadStreamResponse({ data: Buffer.alloc(5), eof: false }), 4), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeReadStreamResponse(P.encodeReadStreamResponse({ data: Buffer.alloc(1), eof: true }), 4), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeReadStreamResponse(Buffer.alloc(0), 4), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeWriteStreamResponse(P.encodeWriteStreamResponse(9), 8), 'E_AGENT_PROTOCOL');
  });

  it('rejects truncated input, a wait status beyond int32 and a bad IP family', () => {
    assertCode(() => P.decodeContainerRef(Buffer.from([0x0a, 0x05, 0x61])), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeWaitProcessResponse(new ProtoWriter().int64(1, 1n << 40n).finish()), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeIpAddress(new ProtoWriter().uint32(1, 7).finish()), 'E_AGENT_PROTOCOL');
    assertCode(() => P.decodeIpAddress(new ProtoWriter().string(3, '33').finish()), 'E_AGENT_PROTOCOL');
  });
});

describe('agent kernel command line', () => {
  it('parses the virtio-serial and vsock forms and cella.debug', () => {
    assert.deepEqual(P.parseAgentCmdline('console=ttyS0 cella.agent=virtio-serial:agent.channel.0 quiet'),
      { listen: { kind: 'virtio-serial', name: 'agent.channel.0' }, debug: false });
    assert.deepEqual(P.parseAgentCmdline('cella.agent=vsock:1024 cella.debug=1\n'), { listen: { kind: 'vsock', port: 1024 }, debug: true });
    assert.equal(P.parseAgentCmdline('cella.agent=tcp:1').listen, undefined);
    assert.deepEqual(P.parseAgentCmdline('').listen, { kind: 'virtio-serial', name: P.DEFAULT_AGENT_PORT_NAME });
  });

  it('makes the parameter from the channel so host and guest agree', () => {
    const p = P.agentKernelParam({ kind: 'virtio-serial', socketPath: '/x', name: 'agent.channel.0' });
    assert.deepEqual(P.parseAgentCmdline(p).listen, { kind: 'virtio-serial', name: 'agent.channel.0' });
    assert.deepEqual(P.parseAgentCmdline(P.agentKernelParam({ kind: 'hybrid-vsock', socketPath: '/x', port: 1024 })).listen, { kind: 'vsock', port: 1024 });
  });
});
