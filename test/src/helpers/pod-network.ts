// SPDX-License-Identifier: Apache-2.0
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

const sh = (file: string, args: string[], input?: string): string =>
  execFileSync(file, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });

/**
 * What CNI would give a pod, built with `ip` by the test (root): a pod namespace holding `eth0` (one end
 * of a veth pair, with an address and a default route) and a peer namespace holding the other end. The
 * addresses live only inside these two namespaces; `remove()` deletes both (and with them every link).
 */
export class PodNetwork {
  readonly pod: string;
  readonly peer: string;
  readonly podIp: string;
  readonly peerIp: string;
  readonly mac: string;

  constructor(options: { mtu?: number } = {}) {
    const tag = randomBytes(3).toString('hex');
    const octet = 16 + (randomBytes(1)[0]! % 200);
    this.pod = `cella-pod-${tag}`;
    this.peer = `cella-peer-${tag}`;
    this.podIp = `10.231.${octet}.2`;
    this.peerIp = `10.231.${octet}.1`;
    this.mac = `02:00:0a:e7:${octet.toString(16).padStart(2, '0')}:02`;
    sh('ip', ['netns', 'add', this.pod]);
    sh('ip', ['netns', 'add', this.peer]);
    try {
      sh('ip', ['-n', this.pod, '-batch', '-'], [
        `link add eth0 type veth peer name peer0 netns ${this.peer}`,
        `link set eth0 address ${this.mac}${options.mtu ? ` mtu ${options.mtu}` : ''}`,
        `addr add ${this.podIp}/24 dev eth0`,
        'link set lo up',
        'link set eth0 up',
        `route add default via ${this.peerIp}`,
      ].join('\n') + '\n');
      sh('ip', ['-n', this.peer, '-batch', '-'], [
        ...(options.mtu ? [`link set peer0 mtu ${options.mtu}`] : []),
        `addr add ${this.peerIp}/24 dev peer0`, 'link set lo up', 'link set peer0 up',
      ].join('\n') + '\n');
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  get podPath(): string { return `/var/run/netns/${this.pod}`; }
  get peerPath(): string { return `/var/run/netns/${this.peer}`; }

  /** The pod namespace's links as `name kind` (what a user compares before and after). */
  podLinks(): string[] { return links(this.pod); }
  peerLinks(): string[] { return links(this.peer); }

  /** `tc qdisc show` in the pod namespace, default qdiscs (noqueue) left out. */
  podQdiscs(): string[] {
    return sh('ip', ['netns', 'exec', this.pod, 'tc', 'qdisc', 'show']).split('\n').filter((l) => l.trim() !== '' && !/qdisc noqueue/.test(l));
  }

  podFilters(dev: string): string {
    return sh('ip', ['netns', 'exec', this.pod, 'tc', 'filter', 'show', 'dev', dev, 'ingress']).trim();
  }

  /** Runs a command in the peer namespace. */
  inPeer(file: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.peer, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
    });
  }

  remove(): void {
    for (const ns of [this.pod, this.peer]) {
      if (existsSync(`/var/run/netns/${ns}`)) {
        try { sh('ip', ['netns', 'del', ns]); } catch { /* already gone */ }
      }
    }
  }
}

function links(ns: string): string[] {
  const all = JSON.parse(sh('ip', ['-n', ns, '-d', '-j', 'link', 'show'])) as Array<{ ifname: string; linkinfo?: { info_kind?: string } }>;
  return all.map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? ''}`.trim()).sort();
}
