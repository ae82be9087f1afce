import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/server/endpoint.js';
import { ROLES } from '../../src/server/roles.js';
import { type Harness, harness } from './harness.js';

// Every role against every endpoint: allowed (the request reaches the handler), 403 (a role that
// may not), 401 (no token, a wrong one). Requests name a deployment that does not exist and carry
// bodies the handlers refuse, so an allowed request changes nothing.

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

const pathOf = (e: Endpoint) => e.path.replace(':name', 'ghost').replace(':id', 'ghost').replace(':kind', 'Deployment');

// who may call what, written out: the roles each endpoint allows (V viewer, D deployer, A admin)
const READ = 'VDA';
const WRITE = 'DA';
const ADMIN = 'A';
const MATRIX: Record<string, string> = {
  'GET /api/v1/deployments': READ,
  'POST /api/v1/deployments': WRITE,
  'PUT /api/v1/deployments/:name': WRITE,
  'GET /api/v1/deployments/:name': READ,
  'DELETE /api/v1/deployments/:name': WRITE,
  'POST /api/v1/deployments/:name/scale': WRITE,
  'GET /api/v1/deployments/:name/status': READ,
  'GET /api/v1/deployments/:name/history': READ,
  'GET /api/v1/deployments/:name/autoscaling': READ,
  'GET /api/v1/deployments/:name/describe': READ,
  'GET /api/v1/deployments/:name/traffic': READ,
  'POST /api/v1/deployments/:name/migrate': WRITE,
  'GET /api/v1/deployments/:name/nginx': READ,
  'GET /api/v1/deployments/:name/rollout': READ,
  'GET /api/v1/deployments/:name/rollout/history': READ,
  'POST /api/v1/deployments/:name/rollout/promote': WRITE,
  'POST /api/v1/deployments/:name/rollout/pause': WRITE,
  'POST /api/v1/deployments/:name/rollout/resume': WRITE,
  'POST /api/v1/deployments/:name/rollout/abort': WRITE,
  'POST /api/v1/deployments/:name/rollout/undo': WRITE,
  'GET /api/v1/fleet': READ,
  'POST /api/v1/plan': READ,
  'POST /api/v1/validate': READ,
  'GET /api/v1/events': READ,
  'GET /api/v1/targets': READ,
  'GET /api/v1/schema': READ,
  'GET /api/v1/schema/:kind': READ,
  'GET /api/v1/tokens': ADMIN,
  'POST /api/v1/tokens': ADMIN,
  'DELETE /api/v1/tokens/:id': ADMIN,
  'GET /api/v1/audit': ADMIN,
  'GET /api/v1/sources': READ,
  'GET /api/v1/sources/:name': READ,
  'GET /api/v1/sources/:name/status': READ,
  'POST /api/v1/sources': ADMIN,
  'DELETE /api/v1/sources/:name': ADMIN,
  'POST /api/v1/sources/:name/sync': WRITE,
};
const LETTER: Record<string, string> = { viewer: 'V', deployer: 'D', admin: 'A' };
const key = (e: Endpoint) => `${e.method.toUpperCase()} ${e.path}`;

const cases = (endpoints: readonly Endpoint[]) =>
  endpoints.flatMap((e) =>
    [...ROLES, 'none', 'wrong'].map((who) => ({
      e,
      who,
      expected:
        who === 'none' || who === 'wrong' ? 401 : (MATRIX[key(e)] ?? '').includes(LETTER[who]!) ? 'allowed' : 403,
    })),
  );

describe('role matrix', () => {
  it('covers every endpoint for every role', async () => {
    // the table and the server list the same endpoints
    expect(h.api.endpoints.map(key).sort()).toEqual(Object.keys(MATRIX).sort());
    const table: string[] = [];
    const wrong: string[] = [];
    for (const { e, who, expected } of cases(h.api.endpoints)) {
      const token = who === 'none' ? null : who === 'wrong' ? 'sft_not-a-token' : h.tokens[who as 'viewer'];
      const res = await h.request(e.method.toUpperCase(), pathOf(e), {
        token,
        ...(e.method === 'post' || e.method === 'put' ? { body: '{"unknownField": true}' } : {}),
      });
      const got = res.status === 401 || res.status === 403 ? res.status : 'allowed';
      table.push(`${e.method.toUpperCase()} ${e.path} ${who}: ${got}`);
      if (got !== expected)
        wrong.push(`${e.method.toUpperCase()} ${e.path} as ${who}: expected ${expected}, got ${res.status}`);
      if (got !== 'allowed') {
        const body = (await res.json()) as { error: { code: string } };
        expect(body.error.code).toBe(got === 401 ? 'unauthorized' : 'forbidden');
      }
    }
    expect(wrong).toEqual([]);
    // each role's allowed count: viewer < deployer < admin
    const allowed = (role: string) => table.filter((l) => l.includes(` ${role}: allowed`)).length;
    expect(allowed('viewer')).toBeLessThan(allowed('deployer'));
    expect(allowed('deployer')).toBeLessThan(allowed('admin'));
    expect(allowed('none') + allowed('wrong')).toBe(0);
  });

  it('nothing was changed by any of those requests', async () => {
    expect(await h.store.listDeployments()).toEqual([]);
    expect(await h.store.listGitSources()).toEqual([]);
    expect((await h.store.listTokens()).every((t) => t.revokedAt === null)).toBe(true);
  });

  it('answers /healthz without a token, and nothing else', async () => {
    expect((await h.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await h.request('GET', '/openapi.json', { token: null })).status).toBe(401);
    expect((await h.request('GET', '/nowhere', { token: null })).status).toBe(401);
  });
});
