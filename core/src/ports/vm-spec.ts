// SPDX-License-Identifier: Apache-2.0
/**
 * What a sandbox VM is made of, in backend-neutral terms. Backend detail travels in the tagged unions.
 */

/** How the host reaches the guest agent. */
export type AgentChannel =
  /** A unix socket on the host wired to a virtio-serial port named `name` in the guest. */
  | { kind: 'virtio-serial'; socketPath: string; name: string }
  /** AF_VSOCK through /dev/vhost-vsock. */
  | { kind: 'vsock'; cid: number; port: number }
  /** A VMM-provided unix socket speaking `CONNECT <port>\n` (Firecracker, Cloud Hypervisor). */
  | { kind: 'hybrid-vsock'; socketPath: string; port: number };

export type BlockDriver = 'virtio-blk' | 'virtio-scsi';

export type VmDevice =
  | {
      kind: 'block';
      id: string;
      /** Host file or block device. */
      path: string;
      readOnly: boolean;
      format: 'raw' | 'qcow2';
      driver: BlockDriver;
      /** What the guest sees as the disk serial (at most 20 bytes): how it finds the disk. */
      serial: string;
    }
  | { kind: 'fs'; id: string; socketPath: string; tag: string; queueSize?: number }
  | {
      kind: 'net';
      id: string;
      mac: string;
      mtu: number;
      queues: number;
      /** Open tap/macvtap queue fds, one per queue, passed to the hypervisor process. */
      fds?: number[];
      /** Or the host interface name of a tap the hypervisor opens itself. */
      ifname?: string;
    }
  | { kind: 'vfio'; id: string; pciAddress: string };

export interface VmSpec {
  sandboxId: string;
  vcpus: number;
  memoryMiB: number;
  kernel: string;
  /** Initramfs; the image (if any) is attached as a read-only disk with serial `cella-guest-root`. */
  initrd?: string;
  image?: string;
  kernelParams: string[];
  devices: VmDevice[];
  agentChannel: AgentChannel;
  /** Folder for the VM's sockets, pid file and console log; removed with the sandbox. */
  runDir: string;
  /** File that receives the guest's serial console. */
  consoleLog: string;
  /**
   * Boot this VM cold to save it as a VM template (`Hypervisor.saveTemplate`), never from a saved one; `devices`
   * must be empty (a template holds no sandbox's devices).
   */
  forTemplate?: boolean;
}

/** The serial the guest image disk carries. */
export const GUEST_ROOT_SERIAL = 'cella-guest-root';
