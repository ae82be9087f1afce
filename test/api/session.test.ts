import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDashboardDir, inside } from '../../src/server/static.js';
import { type Harness, harness, web } from './harness.js';

// Dashboard sessions: a token POSTed once becomes an HttpOnly SameSite=Strict cookie; the API takes
// the cookie as it takes the bearer header (same roles), and a mutation with it needs the CSRF token.

let h: Harness;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-dash-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>dash</title>');
  writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'skyfleet-outside.js'), 'secret');
  h = await harness({ dashboardDir: dir });
  await h.request('POST', '/api/v1/deployments?wait=false', { body: web('img:1', 1) });
});
afterAll(async () => {
  await h?.close();
});

const app = () => h.api.app;

async function login(token: string, base = 'http://127.0.0.1') {
  const res = await app().request(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-skyfleet-csrf': 'login' },
    body: JSON.stringify({ token }),
  });
  const cookie = res.headers.get('set-cookie') ?? '';
  return { res, cookie, id: /skyfleet_session=([^;]*)/.exec(cookie)?.[1] ?? '' };
}

const withCookie = (id: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  app().request(path, {
    method,
    headers: {
      cookie: `skyfleet_session=${id}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

describe('dashboard sessions', () => {
  it('a login sets an HttpOnly, SameSite=Strict session cookie that is not the token, and answers who without the token', async () => {
    const { res, cookie, id } = await login(h.tokens.deployer);
    expect(res.status).toBe(200);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    expect(id.length).toBeGreaterThan(30);
    const text = await res.text();
    expect(text).not.toContain(h.tokens.deployer);
    expect(cookie).not.toContain(h.tokens.deployer);
    const body = JSON.parse(text) as { name: string; role: string; csrf: string };
    expect(body).toMatchObject({ name: 'deployer-token', role: 'deployer' });
    expect(body.csrf.length).toBeGreaterThan(20);
    const who = await withCookie(id, 'GET', '/api/v1/session');
    expect(await who.json()).toMatchObject({ role: 'deployer', csrf: body.csrf });
  });

  it('the cookie is Secure under TLS', async () => {
    const { res, cookie } = await login(h.tokens.viewer, 'https://127.0.0.1');
    expect(res.status).toBe(200);
    expect(cookie).toMatch(/Secure/);
  });

  it('refuses a wrong token, a form post and a login without the custom header', async () => {
    const wrong = await login('sft_wrong');
    expect(wrong.res.status).toBe(401);
    expect(wrong.cookie).toBe('');
    const form = await app().request('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-skyfleet-csrf': 'login' },
      body: `token=${h.tokens.admin}`,
    });
    expect(form.status).toBe(415);
    const noHeader = await app().request('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: h.tokens.admin }),
    });
    expect(noHeader.status).toBe(403);
    expect(noHeader.headers.get('set-cookie')).toBeNull();
  });

  it('the cookie carries the token role: reads for a viewer, a viewer mutation is 403 even with the CSRF token', async () => {
    const { res, id } = await login(h.tokens.viewer);
    const { csrf } = (await res.json()) as { csrf: string };
    expect((await withCookie(id, 'GET', '/api/v1/deployments')).status).toBe(200);
    const forged = await withCookie(
      id,
      'POST',
      '/api/v1/deployments/web/scale',
      { 'x-skyfleet-csrf': csrf },
      { replicas: 3 },
    );
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('a mutation with the cookie needs the CSRF token: none or a wrong one is 403, the right one goes through', async () => {
    const { res, id } = await login(h.tokens.deployer);
    const { csrf } = (await res.json()) as { csrf: string };
    const none = await withCookie(id, 'POST', '/api/v1/deployments/web/scale?wait=false', {}, { replicas: 2 });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('csrf');
    const wrong = await withCookie(
      id,
      'POST',
      '/api/v1/deployments/web/scale?wait=false',
      { 'x-skyfleet-csrf': 'x' },
      { replicas: 2 },
    );
    expect(wrong.status).toBe(403);
    const ok = await withCookie(
      id,
      'POST',
      '/api/v1/deployments/web/scale?wait=false',
      { 'x-skyfleet-csrf': csrf },
      { replicas: 2 },
    );
    expect(ok.status).toBe(200);
  });

  it('logout ends the session; a revoked token ends its sessions; an unknown cookie is 401', async () => {
    const a = await login(h.tokens.deployer);
    const { csrf } = (await a.res.json()) as { csrf: string };
    const refused = await withCookie(a.id, 'DELETE', '/api/v1/session');
    expect(refused.status).toBe(403);
    const out = await withCookie(a.id, 'DELETE', '/api/v1/session', { 'x-skyfleet-csrf': csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/skyfleet_session=;.*Max-Age=0/);
    expect((await withCookie(a.id, 'GET', '/api/v1/deployments')).status).toBe(401);

    const created = (await (
      await h.request('POST', '/api/v1/tokens', { body: { role: 'viewer', name: 'brief' } })
    ).json()) as {
      token: string;
    };
    const b = await login(created.token);
    expect((await withCookie(b.id, 'GET', '/api/v1/deployments')).status).toBe(200);
    await h.request('DELETE', '/api/v1/tokens/brief');
    const after = await withCookie(b.id, 'GET', '/api/v1/deployments');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    expect((await withCookie('made-up', 'GET', '/api/v1/deployments')).status).toBe(401);
  });

  it('the audit names who logged in and keeps no token', async () => {
    const res = await h.request('GET', '/api/v1/audit');
    const text = await res.text();
    expect(text).toContain('POST /api/v1/session');
    for (const t of Object.values(h.tokens)) expect(text).not.toContain(t);
  });
});

describe('the dashboard files', () => {
  it('are served at / and /assets without a token, with a CSP that allows only the same origin', async () => {
    const index = await app().request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await index.text()).toContain('<title>dash</title>');
    const js = await app().request('/assets/app-1.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
  });

  it('nothing outside the folder: a path that climbs out is 404', async () => {
    const up = await app().request('/assets/..%2f..%2fskyfleet-outside.js');
    expect(up.status).toBe(404);
    expect(await up.text()).not.toContain('secret');
    expect((await app().request('/assets/nope.js')).status).toBe(404);
    // the guard itself, for what a router might pass through decoded
    expect(inside(dir, 'assets/../../skyfleet-outside.js')).toBeUndefined();
    expect(inside(dir, '../skyfleet-outside.js')).toBeUndefined();
    expect(inside(dir, 'assets/app-1.js')).toBe(join(dir, 'assets', 'app-1.js'));
  });
});

describe('the default dashboard folder', () => {
  it('is the built dist/dashboard (npm run build makes it), never the sources in dashboard/', () => {
    expect(defaultDashboardDir()).toBe(join(process.cwd(), 'dist', 'dashboard'));
  });
});
