import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawTcpSocket, rawTcpAvailable, type RawTcpHandlers } from '../../../src/traffic/raw-tcp-socket.js';
import { refusedPort } from './helpers.js';

// The router's raw upstream connection (libuv's TCP handle without net.Socket): what the router
// relies on, against real sockets on 127.0.0.1.

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(() => r(undefined)));
});

async function server(onConn: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer(onConn);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as net.AddressInfo).port;
}

/** Resolves once `cond` holds (polled; the test's own timeout bounds it). */
function until(cond: () => boolean): Promise<void> {
  return new Promise((r) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        r();
      }
    }, 2);
  });
}

/** A socket whose events are recorded in order; `closed` resolves on onClose. */
function connect(port: number) {
  const events: string[] = [];
  let data = '';
  let drained = () => {};
  let closed!: () => void;
  const done = new Promise<void>((r) => {
    closed = r;
  });
  const handlers: RawTcpHandlers<RawTcpSocket> = {
    onConnect: () => events.push('connect'),
    onRead: (n, chunk) => {
      data += Buffer.from(chunk.subarray(0, n)).toString('latin1');
    },
    onEnd: () => events.push('end'),
    onError: (e) => events.push(`error ${e.code} ${e.syscall}`),
    onClose: () => {
      events.push('close');
      closed();
    },
    onDrain: () => {
      events.push('drain');
      drained();
    },
  };
  const sock = new RawTcpSocket('127.0.0.1', port, handlers, Buffer.allocUnsafe(64 * 1024));
  return {
    sock,
    events,
    data: () => data,
    closed: done,
    drain: () =>
      new Promise<void>((r) => {
        drained = r;
      }),
  };
}

describe('RawTcpSocket', () => {
  it('sends what was written before the connection was up (corked writes as one), reads the answer, then end and one close', async () => {
    const received: string[] = [];
    const port = await server((s) =>
      s.on('data', (d) => {
        received.push(d.toString());
        if (received.join('').endsWith('\r\n\r\n')) s.end('HTTP/1.0 200 OK\r\n\r\nhello');
      }),
    );
    const c = connect(port);
    c.sock.cork();
    expect(c.sock.write('GET / HTTP/1.1\r\n', 'latin1')).toBe(true);
    expect(c.sock.write(Buffer.from('Host: x\r\n\r\n'))).toBe(true);
    c.sock.uncork();
    await c.closed;
    expect(received).toEqual(['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(c.data()).toBe('HTTP/1.0 200 OK\r\n\r\nhello');
    expect(c.events).toEqual(['connect', 'end', 'close']);
    expect(c.sock.destroyed).toBe(true);
    expect(c.sock.writable).toBe(false);
  });

  it('a refused connection: an error with its code, then close; destroy twice closes once', async () => {
    const c = connect(await refusedPort());
    await c.closed;
    expect(c.events).toEqual(['error ECONNREFUSED connect', 'close']);
    c.sock.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(c.events.filter((e) => e === 'close')).toHaveLength(1);
  });

  it('backpressure: a write the kernel cannot take returns false, and drain comes once it has', async () => {
    let peer!: net.Socket;
    const port = await server((s) => {
      peer = s;
      s.pause(); // reads nothing until told
    });
    const c = connect(port);
    await until(() => c.events.includes('connect') && peer !== undefined);
    const chunk = Buffer.alloc(256 * 1024, 97);
    let ok = true;
    let sent = 0;
    for (let i = 0; i < 64 && ok; i++) {
      ok = c.sock.write(chunk);
      sent += chunk.length;
    }
    expect(ok).toBe(false); // 16 MiB at most: far beyond the socket buffers
    const drained = c.drain();
    let got = 0;
    peer.on('data', (d: Buffer) => {
      got += d.length;
    });
    peer.resume();
    await drained;
    expect(c.events).toContain('drain');
    await until(() => got === sent);
    expect(got).toBe(sent);
    c.sock.destroy();
    await c.closed;
  });

  it('pause stops reading and resume goes on; destroy mid-exchange closes without end', async () => {
    let peer!: net.Socket;
    const port = await server((s) => {
      peer = s;
    });
    const c = connect(port);
    await until(() => c.events.includes('connect') && peer !== undefined);
    c.sock.pause();
    peer.write('one');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.data()).toBe('');
    c.sock.resume();
    await until(() => c.data() === 'one');
    c.sock.destroy();
    await c.closed;
    expect(c.events).toEqual(['connect', 'close']);
  });
});

it('raw TCP is available in the Node this project supports (else the router falls back to net.Socket)', () => {
  expect(rawTcpAvailable()).toBe(true);
});
