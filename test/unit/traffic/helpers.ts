import http from 'node:http';
import { afterEach } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import type { RouteEndpoint } from '../../../src/traffic/index.js';
import { runAppCert } from '../../helpers/tls/index.js';

export interface Upstream {
  name: string;
  port: number;
  /** Requests seen (not health checks). */
  hits: number;
  health: number;
  healthy: boolean;
  server: http.Server;
  /** Requests held (when `hold` is on) until released. */
  held: http.ServerResponse[];
  hold: boolean;
  lastHeaders: http.IncomingHttpHeaders | null;
  release(): void;
  close(): Promise<void>;
}

/**
 * An upstream on 127.0.0.1 answering `name` (or echoing a POST body as `name:body`), with a
 * health endpoint at /healthz and an optional hold of requests.
 */
export async function upstream(name: string): Promise<Upstream> {
  const u: Upstream = {
    name,
    port: 0,
    hits: 0,
    health: 0,
    healthy: true,
    held: [],
    hold: false,
    lastHeaders: null,
    server: null as unknown as http.Server,
    release() {
      for (const r of u.held.splice(0)) r.end(name);
    },
    close: () =>
      new Promise<void>((r) => {
        u.release();
        u.server.closeAllConnections();
        u.server.close(() => r());
      }),
  };
  u.server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      u.health++;
      res.statusCode = u.healthy ? 200 : 503;
      res.end(u.healthy ? 'ok' : 'sick');
      return;
    }
    u.hits++;
    u.lastHeaders = req.headers;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (u.hold) {
        u.held.push(res);
        return;
      }
      if (req.url === '/chunked') {
        res.write(`${name}:`);
        res.write(Buffer.concat(chunks));
        res.end(':end');
        return;
      }
      if (req.url === '/fail') {
        res.statusCode = 500;
        res.end('boom');
        return;
      }
      res.end(chunks.length ? `${name}:${Buffer.concat(chunks).toString()}` : name);
    });
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', () => r()));
  u.port = (u.server.address() as net.AddressInfo).port;
  return u;
}

/** A port nothing listens on (connections are refused). */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function ep(id: string, port: number, revision = 'r1', extra: Partial<RouteEndpoint> = {}): RouteEndpoint {
  return { id, host: '127.0.0.1', port, revision, target: 'local', zone: 'z1', ...extra };
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  reused: boolean;
}

export function request(
  port: number,
  opts: {
    method?: string;
    path?: string;
    body?: string | Buffer[];
    agent?: http.Agent;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        agent: opts.agent ?? false,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (Array.isArray(opts.body)) {
      for (const b of opts.body) req.write(b);
      req.end();
    } else req.end(opts.body);
  });
}

/**
 * Things to undo after each test of the calling file, in reverse order, and upstreams that are
 * closed with them. Call once at the top of a test file.
 */
export function testCleanups() {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    async upstreams(...names: string[]): Promise<Upstream[]> {
      const list = await Promise.all(names.map((n) => upstream(n)));
      for (const u of list) cleanups.push(() => u.close());
      return list;
    },
    async closingKeptAlive() {
      const server = await closingKeptAlive();
      cleanups.push(server.close);
      return server;
    },
  };
}

/** How many times each body was seen. */
export function tally(bodies: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const b of bodies) t[b] = (t[b] ?? 0) + 1;
  return t;
}

/**
 * A TLS endpoint (the test CA's `*.run.app` certificate) that answers `run` to the first request
 * of each connection and closes the connection, unanswered, when a second request arrives on it:
 * a request crossing the close of an idle kept-alive connection, made certain. `crossed()`
 * counts the requests it closed under.
 */
export async function closingKeptAlive(): Promise<{ port: number; crossed: () => number; close: () => Promise<void> }> {
  let crossed = 0;
  const server = tls.createServer(runAppCert, (socket) => {
    let buffered = '';
    let answered = false;
    socket.on('data', (d: Buffer) => {
      if (answered) {
        crossed++;
        socket.destroy();
        return;
      }
      buffered += d.toString('latin1');
      if (!buffered.includes('\r\n\r\n')) return;
      answered = true;
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nrun');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    crossed: () => crossed,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
