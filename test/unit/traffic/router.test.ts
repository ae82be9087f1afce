import http from 'node:http';
import net from 'node:net';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualTimers, Router, type RouterOptions } from '../../../src/traffic/index.js';
import { ep, refusedPort, request, tally, testCleanups } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

const { cleanups, upstreams } = testCleanups();

// every test runs with both upstream transports: the raw TCP handle (the default) and net.Socket
let transport: 'raw' | 'net' = 'raw';

async function router(options: Partial<RouterOptions> = {}): Promise<{ r: Router; port: number }> {
  const r = new Router({ name: 'web', upstreamTransport: transport, ...options });
  cleanups.push(() => r.close());
  const { port } = await r.start();
  return { r, port };
}

/** An upstream that answers "ok" and closes every connection (HTTP/1.0 style); counts connections. */
async function closingUpstream(): Promise<{ port: number; readonly connections: number }> {
  const u = { port: 0, connections: 0 };
  const server = net.createServer((s) => {
    u.connections++;
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
  u.port = (server.address() as net.AddressInfo).port;
  return u;
}

/** An upstream that dies mid-answer: it sends `partial` (part of a response) and cuts the connection; counts requests. */
async function dyingUpstream(partial: string): Promise<{ port: number; readonly requests: number }> {
  const u = { port: 0, requests: 0 };
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      u.requests++;
      s.write(partial, () => s.destroy());
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  cleanups.push(() => new Promise<void>((res) => server.close(() => res())));
  u.port = (server.address() as net.AddressInfo).port;
  return u;
}

function keepAliveAgent(): http.Agent {
  const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => a.destroy());
  return a;
}

describe.each(['raw', 'net'] as const)('Router (%s upstream connections)', (t) => {
  beforeAll(() => {
    transport = t;
  });

  it('makes plain upstream connections with the chosen transport (raw: no net.Socket at all)', async () => {
    const [a] = await upstreams('a');
    const { r, port } = await router({ preconnect: 0 });
    r.setEndpoints([ep('a', a!.port)]);
    const connect = vi.spyOn(net, 'connect');
    try {
      expect((await request(port)).status).toBe(200);
      expect(connect.mock.calls.length).toBe(t === 'raw' ? 0 : 1);
    } finally {
      connect.mockRestore();
    }
  });

  it('listens on 127.0.0.1 by default, forwards with X-Forwarded-* and keeps client connections alive', async () => {
    const [a] = await upstreams('a');
    const { r, port } = await router();
    r.setEndpoints([ep('a', a!.port)]);
    const agent = keepAliveAgent();
    const first = await request(port, { agent, path: '/x?y=1', headers: { 'X-Forwarded-For': '10.0.0.1' } });
    expect(first.status).toBe(200);
    expect(first.body).toBe('a');
    expect(r.listening?.host).toBe('127.0.0.1');
    expect(a!.lastHeaders!['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(a!.lastHeaders!['x-forwarded-proto']).toBe('http');
    expect(a!.lastHeaders!['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    const second = await request(port, { agent });
    expect(second.reused).toBe(true);
    expect(second.body).toBe('a');
  });

  it('forwards chunked request and response bodies, and re-frames close-delimited responses', async () => {
    const [a] = await upstreams('a');
    // An HTTP/1.0-style upstream: no Content-Length, body ends when it closes.
    const raw = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-close'));
    });
    await new Promise<void>((res) => raw.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => raw.close(() => res())));
    const rawPort = (raw.address() as net.AddressInfo).port;
    const { r, port } = await router();
    r.setEndpoints([ep('a', a!.port)]);
    const agent = keepAliveAgent();
    const echoed = await request(port, {
      agent,
      method: 'POST',
      path: '/chunked',
      body: [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')],
    });
    expect(echoed.headers['transfer-encoding']).toBe('chunked');
    expect(echoed.body).toBe('a:one,two,three:end');
    r.setEndpoints([ep('raw', rawPort)]);
    const closeDelimited = await request(port, { agent });
    expect(closeDelimited.body).toBe('until-close');
    expect(closeDelimited.headers['transfer-encoding']).toBe('chunked');
    const again = await request(port, { agent });
    expect(again.reused).toBe(true);
    expect(again.body).toBe('until-close');
  });

  it('accepts response heads whose lines end in a bare LF (busybox httpd CGI), as RFC 9112 allows', async () => {
    const raw = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\n\nbad\n'));
    });
    await new Promise<void>((res) => raw.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => raw.close(() => res())));
    const { r, port } = await router();
    r.setEndpoints([ep('raw', (raw.address() as net.AddressInfo).port)]);
    const res = await request(port, { agent: keepAliveAgent() });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.body).toBe('bad\n');
  });

  it('sends a small response head together with its body when the upstream writes them apart', async () => {
    // An upstream that writes its head, pauses, then writes the body (busybox httpd does the
    // same, which through docker-proxy arrives as two reads). The router holds the head for the
    // body: the client's first bytes are the whole response (one write, one wake-up).
    let bodySentAt = 0;
    let mode: 'pause' | 'die' = 'pause';
    const split = net.createServer((s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n');
        if (mode === 'die') {
          s.destroy(); // head, then nothing: the response can never complete
          return;
        }
        setTimeout(() => {
          bodySentAt = performance.now();
          s.end('hello');
        }, 60);
      });
    });
    await new Promise<void>((res) => split.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => split.close(() => res())));
    const { r, port } = await router({ preconnect: 0 });
    r.setEndpoints([ep('split', (split.address() as net.AddressInfo).port)]);

    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    const reads: Array<{ at: number; text: string }> = [];
    client.on('data', (d: Buffer) => reads.push({ at: performance.now(), text: d.toString('latin1') }));
    const received = () => reads.map((x) => x.text).join('');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => received().endsWith('hello'), { message: 'the response' });
    expect(reads[0]!.at).toBeGreaterThanOrEqual(bodySentAt);
    expect(reads[0]!.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);

    // An upstream that dies between head and body: nothing was sent yet, so the client gets a
    // proper 502 on a connection that stays usable, not a truncated response.
    mode = 'die';
    reads.length = 0;
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => /\r\n\r\n[\s\S]*closed the connection/.test(received()), { message: 'the 502' });
    expect(received()).toMatch(/^HTTP\/1\.1 502 /);
    mode = 'pause';
    reads.length = 0;
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => received().endsWith('hello'), { message: 'the next response on the same connection' });
    expect(r.stats(60_000)[0]).toMatchObject({ requests: 3, errors: 1 });
  });

  it('preconnects a spare connection to an upstream that closes after every response', async () => {
    const closer = await closingUpstream();
    const { r, port } = await router({ preconnect: 1 });
    r.setEndpoints([ep('c', closer.port)]);
    const agent = keepAliveAgent();
    for (let i = 1; i <= 3; i++) {
      expect((await request(port, { agent })).body).toBe('ok');
      // each answer is followed by one spare connection; the next request uses it
      await eventually(() => closer.connections === i + 1, { message: `spare connection ${i}` });
    }
    r.setEndpoints([]); // the spare is closed with its endpoint
    await r.drained('c');
  });

  it('opens no spare connection by default (preconnect 0): one connection per request', async () => {
    const closer = await closingUpstream();
    const { r, port } = await router();
    r.setEndpoints([ep('c', closer.port)]);
    const agent = keepAliveAgent();
    for (let i = 1; i <= 3; i++) expect((await request(port, { agent })).body).toBe('ok');
    // a spare is opened right after an answer, before the client has it: a connection of our own,
    // accepted after whatever is queued before it, shows there was none
    const before = closer.connections;
    const probe = net.connect(closer.port, '127.0.0.1');
    cleanups.push(() => {
      probe.destroy();
    });
    await eventually(() => closer.connections > before, { message: 'the probe connection accepted' });
    expect(closer.connections).toBe(4);
  });

  it('uses the oldest spare first (the one most likely connected all the way)', async () => {
    const order: number[] = [];
    let accepted = 0;
    const closer = net.createServer((s) => {
      const n = ++accepted;
      s.once('data', () => {
        order.push(n);
        s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((res) => closer.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => closer.close(() => res())));
    const { r, port } = await router({ preconnect: 2 });
    r.setEndpoints([ep('c', (closer.address() as net.AddressInfo).port)]);
    // Two requests at once (connections 1 and 2); each answer opens a spare: 3, then 4.
    const both = await Promise.all([request(port), request(port)]);
    expect(both.map((b) => b.body)).toEqual(['ok', 'ok']);
    await eventually(() => accepted === 4, { message: 'two spares' });
    await new Promise((res) => setTimeout(res, 20));
    expect((await request(port)).body).toBe('ok');
    // The older spare (3) serves it; a LIFO pool would take 4 and leave 3 idle until it times out.
    expect(order.slice(2)).toEqual([3]);
    r.setEndpoints([]);
    await r.drained('c');
  });

  it('splits traffic by revision weight within 3 percentage points over 2,000 requests', async () => {
    const [s1, s2, c1, o1] = await upstreams('s1', 's2', 'c1', 'o1');
    const { r, port } = await router();
    r.setEndpoints([
      ep('s1', s1!.port, 'stable'),
      ep('s2', s2!.port, 'stable'),
      ep('c1', c1!.port, 'canary'),
      ep('o1', o1!.port, 'old'),
    ]);
    r.setRevisionWeights({ stable: 70, canary: 30 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => agent.destroy());
    const bodies: string[] = [];
    for (let i = 0; i < 500; i++) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => request(port, { agent })));
      for (const b of batch) bodies.push(b.body);
    }
    const t = tally(bodies);
    expect(bodies).toHaveLength(2000);
    expect(t.o1 ?? 0).toBe(0);
    const canary = (t.c1 ?? 0) / 2000;
    const stable = ((t.s1 ?? 0) + (t.s2 ?? 0)) / 2000;
    expect(Math.abs(canary - 0.3)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(stable - 0.7)).toBeLessThanOrEqual(0.03);
    // Without weights all revisions share by endpoint count.
    r.setRevisionWeights(null);
    const spread = tally(
      await Promise.all(Array.from({ length: 8 }, () => request(port, { agent }).then((x) => x.body))),
    );
    expect(Object.keys(spread).sort()).toEqual(['c1', 'o1', 's1', 's2']);
    // Stats per revision (the input of canary analysis).
    const stats = r.stats(60_000);
    const canaryStats = stats.find((s) => s.revision === 'canary')!;
    expect(canaryStats.requests).toBeGreaterThanOrEqual(540);
    expect(canaryStats.successRate).toBe(1);
    expect(canaryStats.p99Ms).toBeGreaterThan(0);
  });

  it('balancing least-request sends the next request to the endpoint with the fewest in flight', async () => {
    const [a, b] = await upstreams('a', 'b');
    a!.hold = true;
    b!.hold = true;
    const { r, port } = await router({ balancing: 'least-request' });
    r.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      pending.push(request(port));
      await eventually(() => a!.held.length + b!.held.length === i + 1, { message: `request ${i} upstream` });
    }
    expect([a!.held.length, b!.held.length]).toEqual([2, 2]);
    b!.release();
    await eventually(() => r.endpoints().find((e) => e.id === 'b')!.inFlight === 0, { message: 'b idle' });
    for (let i = 0; i < 2; i++) {
      pending.push(request(port));
      await eventually(() => b!.held.length === i + 1, { message: `request to b ${i}` });
    }
    expect(a!.held.length).toBe(2);
    a!.hold = false;
    b!.hold = false;
    a!.release();
    b!.release();
    await Promise.all(pending);
  });

  it('balancing round-robin (the default) sends to a busy endpoint in its turn; setBalancing switches live', async () => {
    const [a, b] = await upstreams('a', 'b');
    a!.hold = true;
    const { r, port } = await router();
    r.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    const pending: Promise<unknown>[] = [];
    // 'a' holds every request it gets: round robin still gives it every other one
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = request(port);
      if (i % 2 === 0) {
        pending.push(res);
        await eventually(() => a!.held.length === i / 2 + 1, { message: `request ${i} held by a` });
      } else bodies.push((await res).body);
    }
    expect(bodies).toEqual(['b', 'b', 'b']);
    expect(a!.held.length).toBe(3);
    // least-request from now on: 'a' has 3 in flight, so everything goes to 'b'
    r.setBalancing('least-request');
    for (let i = 0; i < 4; i++) expect((await request(port)).body).toBe('b');
    expect(a!.held.length).toBe(3);
    expect(() => r.setBalancing('random' as never)).toThrow(/balancing must be 'least-request' or 'round-robin'/);
    expect(() => new Router({ name: 'x', balancing: 'fastest' as never })).toThrow(/got "fastest"/);
    a!.hold = false;
    a!.release();
    await Promise.all(pending);
  });

  it('active health checks take a failing endpoint out and bring it back', async () => {
    const [a, b] = await upstreams('a', 'b');
    const timers = new ManualTimers();
    const { r, port } = await router({
      timers,
      healthCheck: { path: '/healthz', intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 2 },
    });
    r.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    expect(r.endpoints().map((e) => e.health)).toEqual(['pending', 'pending']);
    expect((await request(port)).status).toBe(503); // nothing ready yet
    const checks = () => r.endpoints().reduce((n, e) => n + e.checks, 0);
    const tick = async () => {
      const before = checks();
      timers.advance(1000);
      await eventually(() => checks() >= before + 2, { message: 'a round of checks' });
    };
    await eventually(() => checks() === 2, { message: 'first checks' }); // the first check runs at once
    await tick(); // healthyThreshold 2
    expect(r.endpoints().map((e) => e.health)).toEqual(['ready', 'ready']);
    a!.healthy = false;
    await tick();
    expect(r.endpoints()[0]!.health).toBe('ready'); // one failure is not enough
    await tick();
    expect(r.endpoints()[0]!.health).toBe('unhealthy');
    const bodies = await Promise.all(Array.from({ length: 6 }, () => request(port).then((x) => x.body)));
    expect(new Set(bodies)).toEqual(new Set(['b']));
    a!.healthy = true;
    await tick();
    await tick();
    expect(r.endpoints()[0]!.health).toBe('ready');
    const after = await Promise.all(Array.from({ length: 6 }, () => request(port).then((x) => x.body)));
    expect(new Set(after)).toEqual(new Set(['a', 'b']));
  });

  it('panic mode: when every endpoint fails its checks, traffic still goes to them', async () => {
    const [a] = await upstreams('a');
    const timers = new ManualTimers();
    const { r, port } = await router({
      timers,
      healthCheck: { path: '/healthz', intervalMs: 1000, unhealthyThreshold: 1 },
    });
    r.setEndpoints([ep('a', a!.port)]);
    await eventually(() => r.endpoints()[0]!.health === 'ready', { message: 'ready' });
    a!.healthy = false;
    timers.advance(1000);
    await eventually(() => r.endpoints()[0]!.health === 'unhealthy', { message: 'unhealthy' });
    expect(r.panic).toBe(true);
    expect((await request(port)).body).toBe('a');
  });

  it('passive ejection after N consecutive failures, re-admission, longer on repeat', async () => {
    const [a] = await upstreams('a');
    const dead = await refusedPort();
    const timers = new ManualTimers();
    const { r, port } = await router({
      timers,
      ejection: { consecutiveFailures: 2, baseEjectionMs: 5_000, maxEjectionMs: 60_000 },
    });
    r.setEndpoints([ep('a', a!.port), ep('dead', dead)]);
    const state = () => r.endpoints().find((e) => e.id === 'dead')!;
    // GETs that hit the dead endpoint are retried on a: clients see only successes.
    for (let i = 0; i < 4; i++) expect((await request(port)).body).toBe('a');
    expect(state().ejectedUntil).toBe(timers.now() + 5_000);
    expect(state().inRotation).toBe(false);
    for (let i = 0; i < 4; i++) await request(port);
    expect(state().errors).toBe(0);
    timers.advance(5_000);
    expect(state().inRotation).toBe(true);
    for (let i = 0; i < 4; i++) expect((await request(port)).body).toBe('a');
    expect(state().ejections).toBe(2);
    expect(state().ejectedUntil).toBe(timers.now() + 10_000);
    // Never eject the last endpoint: with only the dead one left it stays in rotation.
    r.setEndpoints([ep('dead', dead)]);
    timers.advance(10_000);
    for (let i = 0; i < 4; i++) expect((await request(port)).status).toBe(502);
    expect(state().inRotation).toBe(true);
  });

  it('retries a failed connect once on another endpoint for GET, not for a POST with a body', async () => {
    const [b] = await upstreams('b');
    const dead = await refusedPort();
    const registry = new Registry();
    const { r, port } = await router({ registry, ejection: { consecutiveFailures: 0 } });
    r.setEndpoints([ep('dead', dead), ep('b', b!.port)]);
    // The first pick is the first endpoint: dead.
    const get = await request(port);
    expect(get.status).toBe(200);
    expect(get.body).toBe('b');
    expect(b!.hits).toBe(1);
    const retries = await registry.getSingleMetric('skyfleet_router_retries_total')!.get();
    expect(retries.values[0]!.value).toBe(1);
    // Next pick is b, then dead again: send a GET to b, then the POST goes to dead.
    expect((await request(port)).body).toBe('b');
    const post = await request(port, { method: 'POST', body: 'payload' });
    expect(post.status).toBe(502);
    expect(post.body).toMatch(/could not connect to endpoint dead .*not retried: the request is not idempotent/);
    expect(b!.hits).toBe(2);
    expect(r.stats().find((s) => s.revision === 'r1')!.retriedAttempts).toBe(1);
  });

  it('an endpoint that dies in the middle of its response head or before its held head reached the client: a GET goes to another, a POST with a body does not', async () => {
    const [b] = await upstreams('b');
    for (const partial of ['HTTP/1.1 200 OK\r\nContent-', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n']) {
      const dying = await dyingUpstream(partial);
      const { r, port } = await router({ ejection: { consecutiveFailures: 0 } });
      r.setEndpoints([ep('dying', dying.port), ep('b', b!.port)]);
      // The first pick is the first endpoint: dying.
      const get = await request(port);
      expect(get).toMatchObject({ status: 200, body: 'b' });
      expect(dying.requests).toBe(1);
      // Next pick is b, then dying again for the POST.
      expect((await request(port)).body).toBe('b');
      const post = await request(port, { method: 'POST', body: 'payload' });
      expect(post.status).toBe(502);
      expect(post.body).toMatch(
        /endpoint dying closed the connection before answering \(upstream closed the connection in the middle of its response\); not retried: the request is not idempotent/,
      );
      expect(dying.requests).toBe(2);
    }
  });

  it('keep-alive clients keep working while endpoints change (routing is per request)', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { r, port } = await router();
    r.setEndpoints([ep('a', a!.port)]);
    const agent = keepAliveAgent();
    expect((await request(port, { agent })).body).toBe('a');
    r.setEndpoints([ep('b', b!.port)]);
    const next = await request(port, { agent });
    expect(next.reused).toBe(true);
    expect(next.body).toBe('b');
    r.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    const both = [];
    for (let i = 0; i < 4; i++) both.push(await request(port, { agent }));
    expect(both.every((x) => x.reused)).toBe(true);
    expect(new Set(both.map((x) => x.body))).toEqual(new Set(['a', 'b']));
  });

  it('drains: a slow in-flight request completes after removal, then drained() resolves', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { r, port } = await router();
    r.setEndpoints([ep('a', a!.port)]);
    a!.hold = true;
    const slow = request(port);
    await eventually(() => a!.held.length === 1, { message: 'slow request upstream' });
    r.setEndpoints([ep('b', b!.port)]);
    let drained = false;
    const d = r.drained('a').then(() => {
      drained = true;
    });
    expect(r.endpoints().find((e) => e.id === 'a')).toMatchObject({ draining: true, inFlight: 1 });
    expect((await request(port)).body).toBe('b'); // new requests go elsewhere
    expect(drained).toBe(false);
    a!.hold = false;
    a!.release();
    expect(await slow).toMatchObject({ status: 200, body: 'a' });
    await d;
    expect(drained).toBe(true);
    expect(r.endpoints().map((e) => e.id)).toEqual(['b']);
    await r.drained('unknown');
  });

  it('drain timeout cuts what is still in flight', async () => {
    const [a] = await upstreams('a');
    const timers = new ManualTimers();
    const { r, port } = await router({ timers, drainTimeoutMs: 1_000 });
    r.setEndpoints([ep('a', a!.port)]);
    a!.hold = true;
    const slow = request(port).catch((err: Error) => err);
    await eventually(() => a!.held.length === 1, { message: 'held' });
    r.setEndpoints([]);
    const d = r.drained('a');
    timers.advance(1_000);
    await d;
    expect(await slow).toBeInstanceOf(Error);
  });

  it('streams large responses intact to a slow reader (Content-Length, chunked, close-delimited)', async () => {
    const size = 6 * 1024 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + (i >> 11)) & 0xff;
    const raw = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        const path = d.toString('latin1').split(' ')[1];
        if (path === '/length') {
          s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
          s.end(payload);
        } else if (path === '/chunked') {
          s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
          for (let o = 0; o < size; o += 1 << 20) {
            const part = payload.subarray(o, Math.min(size, o + (1 << 20)));
            s.write(`${part.length.toString(16)}\r\n`);
            s.write(part);
            s.write('\r\n');
          }
          s.end('0\r\n\r\n');
        } else {
          s.write('HTTP/1.0 200 OK\r\n\r\n');
          s.end(payload);
        }
      });
    });
    await new Promise<void>((res) => raw.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => raw.close(() => res())));
    const { r, port } = await router();
    r.setEndpoints([ep('raw', (raw.address() as net.AddressInfo).port)]);
    const agent = keepAliveAgent();
    for (const path of ['/length', '/chunked', '/close']) {
      const body = await new Promise<Buffer>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.pause();
          // Read nothing for a while: the router must hold the upstream back, then go on.
          setTimeout(() => {
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks)));
            res.resume();
          }, 150);
        });
        req.on('error', reject);
      });
      expect(body.length).toBe(size);
      expect(body.equals(payload)).toBe(true);
    }
    await eventually(() => r.endpoints()[0]!.inFlight === 0, { message: 'nothing in flight' });
    expect(r.endpoints()[0]!.errors).toBe(0);
  });

  it('socket timeouts: 504 from a silent upstream, idle upstream and client connections closed', async () => {
    const silent = net.createServer((s) => {
      s.resume(); // reads, never answers
    });
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => new Promise<void>((res) => silent.close(() => res())));
    const [a] = await upstreams('a');
    const upstreamSockets: net.Socket[] = [];
    a!.server.on('connection', (s: net.Socket) => upstreamSockets.push(s));
    const { r, port } = await router({ upstreamTimeoutMs: 200, clientIdleTimeoutMs: 300, upstreamIdleTimeoutMs: 250 });
    r.setEndpoints([ep('silent', (silent.address() as net.AddressInfo).port)]);
    const t0 = performance.now();
    const res = await request(port);
    const took = performance.now() - t0;
    expect(res.status).toBe(504);
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(1_500);

    // A keep-alive upstream socket idle in the pool is closed after upstreamIdleTimeoutMs.
    r.setEndpoints([ep('a', a!.port)]);
    expect((await request(port, { agent: keepAliveAgent() })).body).toBe('a');
    expect(upstreamSockets.length).toBe(1);
    await eventually(() => upstreamSockets[0]!.destroyed, {
      message: 'the idle upstream socket closed',
      timeoutMs: 3_000,
    });

    // An idle client connection is closed after clientIdleTimeoutMs; a partial head gets a 408.
    const idle = net.connect(port, '127.0.0.1');
    cleanups.push(() => void idle.destroy());
    const opened = performance.now();
    await new Promise<void>((res) => idle.on('close', () => res()).resume());
    expect(performance.now() - opened).toBeGreaterThanOrEqual(295);
    const partial = net.connect(port, '127.0.0.1');
    cleanups.push(() => void partial.destroy());
    let got = '';
    partial.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    partial.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await new Promise<void>((res) => partial.on('close', () => res()));
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
    // Closed connections leave the sweeper.
    await eventually(() => r.sweeper.size === 0, { message: 'no connection tracked', timeoutMs: 3_000 });
  });

  it('proxies a WebSocket upgrade both ways', async () => {
    const ws = http.createServer((_req, res) => res.end('no'));
    const tunnels: net.Socket[] = [];
    ws.on('upgrade', (req, socket: net.Socket) => {
      tunnels.push(socket);
      socket.on('end', () => socket.end());
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: for-${req.headers['sec-websocket-key']}\r\n\r\nwelcome;`,
      );
      socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    });
    await new Promise<void>((res) => ws.listen(0, '127.0.0.1', () => res()));
    cleanups.push(() => {
      for (const t of tunnels) t.destroy();
      ws.closeAllConnections();
      return new Promise<void>((res) => ws.close(() => res()));
    });
    const { r, port } = await router();
    r.setEndpoints([ep('ws', (ws.address() as net.AddressInfo).port)]);
    const c = net.connect(port, '127.0.0.1');
    cleanups.push(() => void c.destroy());
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    c.write(
      'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: k123\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await eventually(() => got.includes('welcome;'), { message: 'the 101 and the server greeting' });
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(got).toContain('Sec-WebSocket-Accept: for-k123');
    c.write('ping');
    await eventually(() => got.endsWith('PING'), { message: 'echo through the tunnel' });
    expect(r.endpoints()[0]!.inFlight).toBe(1); // a tunnel counts as in flight
    c.end();
    await eventually(() => r.endpoints()[0]!.inFlight === 0, { message: 'tunnel closed', timeoutMs: 3_000 });
  });

  it('exposes metrics with deployment/revision/target/zone/endpoint labels on the given registry', async () => {
    const [a] = await upstreams('a');
    const registry = new Registry();
    const { r, port } = await router({ registry });
    const other = new Router({ name: 'api', registry }); // a second router on the same registry
    cleanups.push(() => other.close());
    r.setEndpoints([ep('a', a!.port, 'rev1', { target: 'aws', zone: 'eu-west-1a' })]);
    for (let i = 0; i < 3; i++) await request(port);
    await request(port, { path: '/fail' });
    const text = await registry.metrics();
    const labels = 'deployment="web",revision="rev1",target="aws",zone="eu-west-1a",endpoint="a"';
    expect(text).toContain(`skyfleet_router_requests_total{${labels},code="2xx"} 3`);
    expect(text).toContain(`skyfleet_router_requests_total{${labels},code="5xx"} 1`);
    expect(text).toContain(`skyfleet_router_errors_total{${labels},reason="http_5xx"} 1`);
    expect(text).toContain(`skyfleet_router_in_flight{${labels}} 0`);
    expect(text).toContain(`skyfleet_router_endpoint_in_rotation{${labels}} 1`);
    expect(text).toContain(
      'skyfleet_router_request_duration_seconds_count{deployment="web",revision="rev1",target="aws",zone="eu-west-1a"} 4',
    );
    expect(text).toMatch(/skyfleet_router_request_duration_seconds_bucket\{[^}]*le="\+Inf"\} 4/);
    expect(text).toContain('skyfleet_router_panic{deployment="api"} 0');
    const st = r.stats().find((s) => s.revision === 'rev1')!;
    expect(st).toMatchObject({ requests: 4, errors: 1, successRate: 0.75 });
    // Removed endpoints' series go away once drained (bounded cardinality).
    r.setEndpoints([]);
    await r.drained('a');
    expect(await registry.metrics()).not.toContain('endpoint="a"');
  });

  it('answers 400 to a malformed request and 503 with no endpoint', async () => {
    const { r, port } = await router();
    expect((await request(port)).status).toBe(503);
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString();
    });
    c.write('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
    await new Promise((res) => c.on('close', res));
    expect(got).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.badRequestTotal).toBe(1);
  });
});
