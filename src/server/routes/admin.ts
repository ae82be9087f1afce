import { ApiError } from '../api-error.js';
import { readJson } from '../body.js';
import type { ApiDeps, Define } from '../endpoint.js';
import { respond } from '../negotiate.js';
import * as S from '../schemas.js';
import { createApiToken, tokenView } from '../tokens.js';

/** Tokens and the audit: admin only. */
export function adminRoutes(define: Define, deps: ApiDeps): void {
  const { store, clock } = deps;
  define(
    {
      method: 'get',
      path: '/api/v1/tokens',
      permission: 'admin',
      mutating: false,
      summary: 'API tokens (never their values)',
      response: S.tokenList,
    },
    async (c) => respond(c, { items: (await store.listTokens()).map(tokenView) }),
  );
  define(
    {
      method: 'post',
      path: '/api/v1/tokens',
      permission: 'admin',
      mutating: true,
      summary: 'create a token: its value is in this response only',
      body: S.tokenRequest,
      response: S.tokenCreated,
    },
    async (c) => {
      const req = await readJson(c, deps.maxBodyBytes, S.tokenRequest);
      const { token, record } = await createApiToken(store, {
        role: req.role,
        ...(req.name ? { name: req.name } : {}),
        ...(req.ttlSeconds ? { ttlMs: req.ttlSeconds * 1000 } : {}),
        now: clock.now(),
      });
      return respond(c, { token, record: tokenView(record) }, 201);
    },
  );
  define(
    {
      method: 'delete',
      path: '/api/v1/tokens/:id',
      permission: 'admin',
      mutating: true,
      summary: 'revoke a token (by id or name)',
      response: S.tokenRevoked,
    },
    async (c) => {
      const id = c.req.param('id')!;
      if (!(await store.revokeToken(id, clock.now()))) {
        throw new ApiError(404, 'not_found', `token ${JSON.stringify(id)} not found (or already revoked)`);
      }
      return respond(c, { revoked: id });
    },
  );
  define(
    {
      method: 'get',
      path: '/api/v1/audit',
      permission: 'admin',
      mutating: false,
      summary: 'the audit of mutating requests',
      query: { limit: 'most records' },
      response: S.auditList,
    },
    async (c) => {
      const limit = Number(c.req.query('limit') ?? '100');
      return respond(c, {
        items: await store.listAudit({ limit: Number.isInteger(limit) && limit > 0 ? limit : 100 }),
      });
    },
  );
}
