// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { Duplex } from 'node:stream';
import { TtrpcClient, TtrpcServer } from '@cella/core/ttrpc';
import { PortSessions } from './port-sessions';

/**
 * A virtio-serial port without connection boundaries (fake: no VM): whatever host end is attached
 * gets the guest's writes, and the guest never reads an end-of-stream when the host end changes.
 */
class FakePort extends Duplex {
  host: Duplex | undefined;
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void { this.host?.push(chunk); cb(); }

  attachHost(): Duplex {
    const port = this;
    const end = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) { port.push(chunk); cb(); },
      destroy(err, cb) { if (port.host === end) port.host = undefined; cb(err); },
    });
    this.host = end;
    return end;
  }
}

function echoServer(): TtrpcServer {
  const server = new TtrpcServer();
  server.register('test.Echo', 'Echo', (payload) => payload);
  return server;
}

describe('PortSessions', () => {
  it('gives a client that reconnects without an end-of-stream in between a fresh session with fresh stream ids', async () => {
    const port = new FakePort();
    const server = echoServer();
    let sessions = 0;
    new PortSessions(port, (s) => { sessions++; server.serve(s); });

    const a = new TtrpcClient(port.attachHost());
    assert.equal((await a.call('test.Echo', 'Echo', Buffer.from('a1'))).toString(), 'a1');
    assert.equal((await a.call('test.Echo', 'Echo', Buffer.from('a2'))).toString(), 'a2');
    a.close();

    const b = new TtrpcClient(port.attachHost());
    assert.equal((await b.call('test.Echo', 'Echo', Buffer.from('b1'))).toString(), 'b1');
    assert.equal((await b.call('test.Echo', 'Echo', Buffer.from('b2'))).toString(), 'b2');
    assert.equal(sessions, 2);
    b.close();
  });

  it('keeps one session for requests 1, 3, 5 split across arbitrary chunk boundaries', async () => {
    const port = new FakePort();
    const server = echoServer();
    let sessions = 0;
    new PortSessions(port, (s) => { sessions++; server.serve(s); });
    const host = port.attachHost();
    // Deliver the client's bytes to the port one byte at a time.
    const trickle = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) { for (const b of chunk) port.push(Buffer.from([b])); cb(); },
    });
    port.host = trickle;
    host.destroy();
    const c = new TtrpcClient(trickle);
    const answers = await Promise.all(['x', 'y', 'z'].map((s) => c.call('test.Echo', 'Echo', Buffer.from(s))));
    assert.deepEqual(answers.map(String), ['x', 'y', 'z']);
    assert.equal(sessions, 1);
    c.close();
  });

  it('ends the session when the port ends', async () => {
    const port = new FakePort();
    const ended: Promise<void>[] = [];
    new PortSessions(port, (s) => { ended.push(new Promise((r) => s.once('end', r))); s.resume(); });
    port.push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 0]));
    port.push(null);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(ended.length, 1);
    await ended[0];
  });
});
