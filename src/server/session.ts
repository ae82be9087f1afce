import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ApiStore, TokenRecord } from '../store/api-store.js';
import type { Clock } from '../util/clock.js';
import { ApiError } from './api-error.js';
import type { ApiContext, ApiEnv } from './endpoint.js';
import { checkToken, checkTokenHash, hashToken } from './tokens.js';

/** The session cookie's name: HttpOnly, SameSite=Strict, Path=/, Secure under TLS. */
export const SESSION_COOKIE = 'skyfleet_session';
/** The header a cookie-authenticated mutation must carry, with the session's CSRF token as its value. */
export const CSRF_HEADER = 'x-skyfleet-csrf';

interface Session {
  /** SHA-256 of the token logged in with (never the token): checked again on every request. */
  tokenHash: string;
  csrf: string;
  expiresAt: number;
}

export interface SessionOptions {
  /** How long a session lasts at most (default 12 h); never longer than its token. */
  ttlMs?: number;
  /** Sessions kept at once (default 10000): the oldest go first beyond. */
  max?: number;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function secure(c: ApiContext): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  const env = c.env as { incoming?: { socket?: { encrypted?: boolean } } } | undefined;
  return env?.incoming?.socket?.encrypted === true;
}

/**
 * Browser sessions for the dashboard: `POST /api/v1/session` with `{ token }` checks the token and
 * sets a random session id as an HttpOnly, SameSite=Strict cookie (Secure under TLS). The server keeps
 * the id -> (token hash, CSRF token, expiry) in memory, so the token itself never leaves the login
 * request; every request with the cookie checks the token's hash again (revoked or expired: 401), and
 * a mutation with the cookie must carry `X-Skyfleet-CSRF` with the session's CSRF token (403 without).
 * A restart of the server ends every session.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(
    private readonly store: ApiStore,
    private readonly clock: Clock,
    options: SessionOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 12 * 3600_000;
    this.max = options.max ?? 10_000;
  }

  /** The login, session and logout routes: they come before the bearer middleware. */
  routes(app: Hono<ApiEnv>): void {
    app.post('/api/v1/session', async (c) => {
      // a JSON body and a custom header: a cross-site form cannot send either (no login CSRF)
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
        throw new ApiError(415, 'unsupported_media_type', 'POST /api/v1/session takes JSON: { "token": "..." }');
      }
      if (c.req.header(CSRF_HEADER) === undefined) {
        throw new ApiError(403, 'csrf', `POST /api/v1/session needs the ${CSRF_HEADER} header`);
      }
      let token: unknown;
      try {
        token = ((await c.req.json()) as { token?: unknown })?.token;
      } catch {
        throw new ApiError(400, 'invalid_input', 'the body is not JSON: expected { "token": "..." }');
      }
      if (typeof token !== 'string' || !token) {
        throw new ApiError(400, 'invalid_input', 'token: expected a string', [
          { path: 'token', message: 'expected a string' },
        ]);
      }
      const now = this.clock.now();
      const check = await checkToken(this.store, token, now);
      if (!check.ok) throw new ApiError(401, 'unauthorized', check.reason);
      c.set('token', check.token);
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = Math.min(now + this.ttlMs, check.token.expiresAt ?? Number.POSITIVE_INFINITY);
      this.prune(now);
      this.sessions.set(id, { tokenHash: hashToken(token), csrf, expiresAt });
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: secure(c),
        path: '/',
        maxAge: Math.max(1, Math.floor((expiresAt - now) / 1000)),
      });
      c.header('cache-control', 'no-store');
      return c.json(sessionView(check.token, csrf, expiresAt));
    });

    app.delete('/api/v1/session', async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      const s = id ? this.sessions.get(id) : undefined;
      if (s) {
        const sent = c.req.header(CSRF_HEADER) ?? '';
        if (!same(sent, s.csrf)) throw new ApiError(403, 'csrf', `logging out needs the ${CSRF_HEADER} header`);
        this.sessions.delete(id!);
      }
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secure(c), httpOnly: true, sameSite: 'Strict' });
      return c.json({ loggedOut: true });
    });
  }

  /**
   * The token record of a request that came with a session cookie (undefined without one); throws
   * 401 for an unknown, expired or revoked session and 403 for a mutation without the CSRF token.
   */
  async authenticate(c: ApiContext): Promise<TokenRecord | undefined> {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id) return undefined;
    const now = this.clock.now();
    const s = this.sessions.get(id);
    if (!s || s.expiresAt <= now) {
      if (s) this.sessions.delete(id);
      throw new ApiError(401, 'unauthorized', 'the session has ended: log in again');
    }
    const check = await checkTokenHash(this.store, s.tokenHash, now);
    if (!check.ok) {
      this.sessions.delete(id);
      throw new ApiError(401, 'unauthorized', check.reason);
    }
    if (!SAFE.has(c.req.method) && !same(c.req.header(CSRF_HEADER) ?? '', s.csrf)) {
      throw new ApiError(
        403,
        'csrf',
        `a request with a session cookie that changes something needs the ${CSRF_HEADER} header`,
      );
    }
    c.set('csrf', s.csrf);
    c.set('sessionExpiresAt', s.expiresAt);
    return check.token;
  }

  private prune(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
  }
}

/** Who is logged in, as the dashboard shows it: never the token. */
export function sessionView(t: TokenRecord, csrf: string | undefined, expiresAt: number | undefined) {
  return {
    name: t.name,
    role: t.role,
    ...(csrf !== undefined ? { csrf } : {}),
    ...(expiresAt !== undefined && Number.isFinite(expiresAt) ? { expiresAt } : {}),
  };
}
