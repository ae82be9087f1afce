import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Router, type RouterOptions } from '../../../src/traffic/index.js';
import { eventually } from '../../helpers/eventually.js';
import { otherCa, runAppCert, testCa } from '../../helpers/tls/index.js';
import { ep, request, testCleanups } from './helpers.js';

// Endpoints reached over TLS as a name (Cloud Run's `<service>.run.app`): SNI, certificate
// verification and the Host header are the name's, as the platform routes on them.

const { cleanups, closingKeptAlive } = testCleanups();
const NAME = 'web-abc123-uc.a.run.app';

interface Seen {
  host: string | undefined;
  sni: string | false | null | undefined;
  forwardedHost: string | undefined;
  identity?: string | undefined;
  authorization?: string | undefined;
  url?: string | undefined;
}

/** An HTTPS upstream with the test CA's `*.run.app` certificate: 404 unless Host is NAME (as Cloud Run). */
async function runApp(): Promise<{ port: number; seen: Seen[]; checks: () => number }> {
  const seen: Seen[] = [];
  let checks = 0;
  const server = https.createServer(runAppCert, (req, res) => {
    if (req.url === '/healthz') checks++;
    seen.push({
      host: req.headers.host,
      sni: (req.socket as TLSSocket).servername,
      forwardedHost: req.headers['x-forwarded-host'] as string | undefined,
      ...(req.headers['x-serverless-authorization'] !== undefined
        ? { identity: req.headers['x-serverless-authorization'] as string }
        : {}),
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      ...(req.url !== '/' ? { url: req.url } : {}),
    });
    if (req.headers.host !== NAME) {
      res.writeHead(404).end('no such service\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello over tls');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanups.push(() => server.closeAllConnections());
  return { port: (server.address() as { port: number }).port, seen, checks: () => checks };
}

async function router(options: Partial<RouterOptions> = {}): Promise<{ r: Router; port: number }> {
  const r = new Router({ name: 'web', ejection: { consecutiveFailures: 0 }, ...options });
  cleanups.push(() => r.close());
  const { port } = await r.start();
  return { r, port };
}

describe('Router to TLS endpoints', () => {
  it('speaks TLS with the endpoint name as SNI and Host, keeping the client Host in X-Forwarded-Host', async () => {
    const app = await runApp();
    const { r, port } = await router({ upstreamTls: { ca: testCa } });
    r.setEndpoints([ep('run', app.port, 'r1', { serverName: NAME })]);
    const a = await request(port, { path: '/' });
    expect(a).toMatchObject({ status: 200, body: 'hello over tls' });
    const b = await request(port, { path: '/' });
    expect(b.status).toBe(200);
    expect(app.seen[0]).toEqual({ host: NAME, sni: NAME, forwardedHost: `127.0.0.1:${port}` });
    // the second request went over the kept-alive TLS connection
    expect(app.seen).toHaveLength(2);
  });

  it("an endpoint with an identityAudience: every request and health check carries the audience's token in X-Serverless-Authorization; the client's Authorization passes untouched", async () => {
    const app = await runApp();
    const tokens: string[] = [];
    const { r, port } = await router({
      upstreamTls: { ca: testCa },
      healthCheck: { path: '/healthz', intervalMs: 50, timeoutMs: 1000 },
      identityTokens: (audience) => {
        tokens.push(audience);
        return audience === `https://${NAME}` ? 'id.token.1' : undefined;
      },
    });
    r.setEndpoints([ep('run', app.port, 'r1', { serverName: NAME, identityAudience: `https://${NAME}` })]);
    await eventually(() => r.endpoints()[0]?.health === 'ready', { message: 'ready, its checks carrying the token' });
    expect(app.seen.find((s) => s.url === '/healthz')?.identity).toBe('Bearer id.token.1');
    // a client's own X-Serverless-Authorization is replaced, its Authorization is the app's
    const res = await request(port, {
      path: '/',
      headers: { authorization: 'Basic dXNlcjpwdw==', 'x-serverless-authorization': 'Bearer forged' },
    });
    expect(res.status).toBe(200);
    const sent = app.seen.filter((s) => s.url === undefined);
    expect(sent).toEqual([
      expect.objectContaining({ identity: 'Bearer id.token.1', authorization: 'Basic dXNlcjpwdw==' }),
    ]);
    expect(new Set(tokens)).toEqual(new Set([`https://${NAME}`]));
    // and the token is nowhere in what the router reports of the endpoint
    expect(JSON.stringify(r.endpoints())).not.toContain('id.token.1');
  });

  it('refuses a certificate it cannot verify: 502, never the upstream answer', async () => {
    const app = await runApp();
    // trusting another CA, or none given for a test CA's certificate (the system roots)
    for (const options of [{ upstreamTls: { ca: otherCa } }, {}]) {
      const { r, port } = await router(options);
      r.setEndpoints([ep('run', app.port, 'r1', { serverName: NAME })]);
      const res = await request(port, { path: '/' });
      expect(res.status).toBe(502);
    }
    expect(app.seen).toEqual([]);
  });

  it('refuses a certificate for another name', async () => {
    const app = await runApp();
    const { r, port } = await router({ upstreamTls: { ca: testCa } });
    r.setEndpoints([ep('run', app.port, 'r1', { serverName: 'web.example.com' })]);
    expect((await request(port, { path: '/' })).status).toBe(502);
    expect(app.seen).toEqual([]);
  });

  it('active health checks go over TLS with the name too, and a wrong CA keeps the endpoint out', async () => {
    const app = await runApp();
    const hc = { path: '/healthz', intervalMs: 50, timeoutMs: 1000 };
    const good = await router({ upstreamTls: { ca: testCa }, healthCheck: hc });
    good.r.setEndpoints([ep('run', app.port, 'r1', { serverName: NAME })]);
    await eventually(() => good.r.endpoints()[0]?.health === 'ready', { message: 'ready over TLS' });
    expect(app.seen.find((s) => s.host === NAME)?.sni).toBe(NAME);
    const checksBefore = app.checks();
    const bad = await router({ upstreamTls: { ca: otherCa }, healthCheck: hc });
    bad.r.setEndpoints([ep('run', app.port, 'r1', { serverName: NAME })]);
    // the good router keeps checking meanwhile: wait for a few of its checks, then look
    await eventually(() => app.checks() >= checksBefore + 3, { message: 'more checks of the good router' });
    expect(bad.r.endpoints()[0]?.health).toBe('pending');
    expect((await request(bad.port, { path: '/' })).status).toBe(503);
  });

  it("a new revision's endpoint at an address already checked ready is ready at once (Cloud Run's one URL serves every revision)", async () => {
    const app = await runApp();
    // checks every 10 minutes after the first: only the first check of each endpoint can pass in this test
    const hc = { path: '/healthz', intervalMs: 600_000, timeoutMs: 1000, healthyThreshold: 1 };
    const { r, port } = await router({ upstreamTls: { ca: testCa }, healthCheck: hc });
    r.setEndpoints([ep('run-r1', app.port, 'r1', { serverName: NAME })]);
    await eventually(() => r.endpoints()[0]?.health === 'ready', { message: 'r1 ready' });
    const other = await runApp();
    r.setEndpoints([
      ep('run-r1', app.port, 'r1', { serverName: NAME, weight: 0 }),
      ep('run-r2', app.port, 'r2', { serverName: NAME }),
      ep('elsewhere', other.port, 'r2', { serverName: NAME }),
    ]);
    // no check has run for run-r2 yet, but it is the same server: the traffic moved to it is served
    const byId = Object.fromEntries(r.endpoints().map((e) => [e.id, e.health]));
    expect(byId).toEqual({ 'run-r1': 'ready', 'run-r2': 'ready', elsewhere: 'pending' });
    expect((await request(port, { path: '/' })).status).toBe(200);
  });

  it('sends a request again on a new connection when the endpoint closed the kept-alive one it was sent on: no 502', async () => {
    const run = await closingKeptAlive();
    const { r, port } = await router({ upstreamTls: { ca: testCa } });
    r.setEndpoints([ep('run', run.port, 'r1', { serverName: NAME })]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await request(port, { agent }));
    expect(replies.map((x) => `${x.status} ${x.body}`)).toEqual(Array(6).fill('200 run'));
    // the router did reuse its kept-alive connections (each closed under a request, which was sent again)
    expect(run.crossed()).toBeGreaterThanOrEqual(3);
  });
});
