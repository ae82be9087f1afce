// The nginx data plane with a real nginx (CI installs nginx-light): the router's control
// (health checks, weights, drain, stats) with nginx carrying the requests.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { findNginx, NginxDataPlane, type NginxDataPlaneOptions } from '../../../src/traffic/index.js';
import { freePort } from '../../helpers/traffic/load.js';
import { ep, request, tally, testCleanups } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';
import { requires } from '../../helpers/requires.js';
import { testCa } from '../../helpers/tls/index.js';

const { cleanups, upstreams, closingKeptAlive } = testCleanups();

async function dataPlane(options: Partial<NginxDataPlaneOptions> = {}): Promise<{ d: NginxDataPlane; port: number }> {
  const d = new NginxDataPlane({ name: 'web', workers: 1, ...(nginx ? { nginx } : {}), ...options });
  cleanups.push(() => d.close());
  const { port } = await d.start();
  return { d, port };
}

const nginx = findNginx(process.env.SKYFLEET_TEST_NGINX || undefined);
const haveNginx = requires(
  'nginx',
  nginx ? undefined : `not found (${process.env.SKYFLEET_TEST_NGINX ?? 'PATH, /usr/sbin'})`,
  'CI installs nginx-light (scripts/setup-machine.sh)',
);

describe.runIf(haveNginx)('NginxDataPlane', () => {
  it('splits traffic by revision weight within 3 points over 2,000 requests, with stats from the access log', async () => {
    const [s1, s2, c1] = await upstreams('s1', 's2', 'c1');
    const registry = new Registry();
    const { d, port } = await dataPlane({ registry });
    d.setEndpoints([ep('s1', s1!.port, 'stable'), ep('s2', s2!.port, 'stable'), ep('c1', c1!.port, 'canary')]);
    d.setRevisionWeights({ stable: 90, canary: 10 });
    await d.settled();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => agent.destroy());
    const bodies: string[] = [];
    for (let i = 0; i < 500; i++) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => request(port, { agent })));
      for (const b of batch) bodies.push(b.body);
    }
    const t = tally(bodies);
    expect(bodies).toHaveLength(2000);
    expect(Math.abs((t.c1 ?? 0) / 2000 - 0.1)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(((t.s1 ?? 0) + (t.s2 ?? 0)) / 2000 - 0.9)).toBeLessThanOrEqual(0.03);
    // every request is counted once, per revision, from nginx's access log
    await eventually(() => d.stats(60_000).reduce((a, s) => a + s.requests, 0) === 2000, {
      message: 'log lines counted',
    });
    const canary = d.stats(60_000).find((s) => s.revision === 'canary')!;
    expect(canary.requests).toBe(t.c1);
    expect(canary.successRate).toBe(1);
    expect(canary.p99Ms).toBeGreaterThan(0);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/skyfleet_router_requests_total\{[^}]*endpoint="c1"[^}]*\} \d+/);
  });

  it('counts 5xx answers as errors of their revision (the input of canary analysis)', async () => {
    const [a] = await upstreams('a');
    const { d, port } = await dataPlane();
    d.setEndpoints([ep('a', a!.port, 'v2')]);
    await d.settled();
    for (let i = 0; i < 10; i++) await request(port, { path: i < 3 ? '/fail' : '/' });
    await eventually(() => d.stats(60_000)[0]?.requests === 10, { message: 'log lines counted' });
    expect(d.stats(60_000)[0]).toMatchObject({ revision: 'v2', requests: 10, errors: 3, successRate: 0.7 });
  });

  it('takes an endpoint failing its health check out of nginx and brings it back', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { d, port } = await dataPlane({
      healthCheck: { path: '/healthz', intervalMs: 50, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 },
    });
    d.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    await eventually(() => d.endpoints().every((e) => e.inRotation), { message: 'both in rotation' });
    await d.settled();
    const spread = async () =>
      tally(await Promise.all(Array.from({ length: 10 }, () => request(port).then((r) => r.body))));
    expect(Object.keys(await spread()).sort()).toEqual(['a', 'b']);
    b!.healthy = false;
    await eventually(() => !d.endpoints().find((e) => e.id === 'b')!.inRotation, { message: 'b out of rotation' });
    await d.settled();
    expect(await spread()).toEqual({ a: 10 });
    b!.healthy = true;
    await eventually(() => d.endpoints().find((e) => e.id === 'b')!.inRotation, { message: 'b back' });
    await d.settled();
    expect(Object.keys(await spread()).sort()).toEqual(['a', 'b']);
  });

  it('drains: a slow request to a withdrawn endpoint completes, then drained() resolves', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { d, port } = await dataPlane({ drainTimeoutMs: 20_000 });
    d.setEndpoints([ep('a', a!.port)]);
    await d.settled();
    a!.hold = true;
    const slow = request(port);
    await eventually(() => a!.held.length === 1, { message: 'the request held by a' });
    d.setEndpoints([ep('a', a!.port), ep('b', b!.port)]);
    d.withdraw(['a']);
    let drained = false;
    const draining = d.drained('a').then(() => {
      drained = true;
    });
    await d.settled();
    // new requests go to b while a's request is still in flight
    expect((await request(port)).body).toBe('b');
    expect(drained).toBe(false);
    a!.release();
    expect(await slow).toMatchObject({ status: 200, body: 'a' });
    await draining;
    expect(d.endpoints().map((e) => e.id)).toEqual(['b']);
  });

  it('stops an nginx left on its listen address by a controller that died, then takes the port', async () => {
    const [a, b] = await upstreams('a', 'b');
    const port = await freePort();
    // a controller process (the built library) serving `a` through nginx, then SIGKILLed: its
    // nginx lives on, holding the port
    const lib = new URL('../../../dist/src/traffic/index.js', import.meta.url).href;
    const script = `const { NginxDataPlane } = await import(${JSON.stringify(lib)});
      const d = new NginxDataPlane({ name: 'web', workers: 1, listen: { port: ${port} } });
      await d.start();
      d.setEndpoints([{ id: 'a', host: '127.0.0.1', port: ${a!.port}, revision: 'r1', target: 'l', zone: 'z' }]);
      await d.settled();
      console.log('ready ' + d.pid);
      setInterval(() => {}, 1000);`;
    const controller = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => void controller.kill('SIGKILL'));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      controller.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      controller.once('exit', (code) => reject(new Error(`the controller exited (${code}): ${out}`)));
    });
    const stalePid = Number(line.split(' ')[1]);
    controller.kill('SIGKILL');
    await new Promise((r) => controller.once('exit', r));
    expect((await request(port)).body).toBe('a');
    const cmdline = () => {
      try {
        return readFileSync(`/proc/${stalePid}/cmdline`, 'latin1');
      } catch {
        return '';
      }
    };
    expect(cmdline()).toMatch(/^nginx/);
    // the next controller's data plane on the same address
    const { d } = await dataPlane({ listen: { port } });
    d.setEndpoints([ep('b', b!.port)]);
    await d.settled();
    expect((await request(port)).body).toBe('b');
    expect(cmdline()).toBe('');
  }, 20_000);

  it('starts nginx again when its master dies, with the current configuration', async () => {
    const [a] = await upstreams('a');
    const { d, port } = await dataPlane();
    d.setEndpoints([ep('a', a!.port)]);
    await d.settled();
    const first = d.pid!;
    process.kill(first, 'SIGKILL');
    await eventually(() => d.restarts === 1 && d.pid !== undefined && d.pid !== first, {
      message: 'a new nginx master',
    });
    await d.settled();
    expect((await request(port)).body).toBe('a');
  });

  it('sends a request again on a new connection when a TLS endpoint closed the kept-alive one it was sent on: no 502', async () => {
    // Every server closes idle keep-alive connections sooner or later (Node's after 5 s), and a
    // request can cross the close; closingKeptAlive() makes the crossing certain.
    const run = await closingKeptAlive();
    const { d, port } = await dataPlane({ upstreamTls: { ca: testCa } });
    d.setEndpoints([ep('run', run.port, 'r1', { serverName: 'web-abc123-uc.a.run.app' })]);
    await d.settled();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await request(port, { agent }));
    expect(replies.map((r) => `${r.status} ${r.body}`)).toEqual(Array(6).fill('200 run'));
    // nginx did reuse its kept-alive connections (each closed under a request, which was sent again)
    expect(run.crossed()).toBeGreaterThanOrEqual(3);
  });

  it('an identity token is in a configuration only its owner can read (0600), never in a world-readable file', async () => {
    const run = await closingKeptAlive();
    const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl';
    const { d } = await dataPlane({ upstreamTls: { ca: testCa }, identityTokens: () => TOKEN });
    const NAME = 'web-abc123-uc.a.run.app';
    d.setEndpoints([ep('run', run.port, 'r1', { serverName: NAME, identityAudience: `https://${NAME}` })]);
    await d.settled();
    const conf = join((d as unknown as { dir: string }).dir, 'nginx.conf');
    expect(readFileSync(conf, 'utf8')).toContain(`X-Serverless-Authorization "Bearer ${TOKEN}"`);
    expect((statSync(conf).mode & 0o777).toString(8)).toBe('600');
  });

  it('answers 503 when no endpoint is in rotation, and a clear error when nginx is missing', async () => {
    const { d, port } = await dataPlane();
    d.setEndpoints([]);
    await d.settled();
    const res = await request(port);
    expect(res.status).toBe(503);
    expect(res.body).toContain('no endpoint is ready');
    const missing = new NginxDataPlane({ name: 'web', nginx: '/nonexistent/nginx' });
    await expect(missing.start()).rejects.toThrow(
      /nginx was not found.*apt-get install nginx-light.*dataPlane: builtin/,
    );
  });
});

describe('NginxDataPlane options', () => {
  it('refuses least-request balancing, which its round-robin nginx would not do, and takes round-robin', () => {
    expect(() => new NginxDataPlane({ name: 'web', balancing: 'least-request' })).toThrow(
      /balancing 'least-request' is not offered: nginx balances round robin/,
    );
    expect(() => new NginxDataPlane({ name: 'web', balancing: 'round-robin' })).not.toThrow();
  });
});
