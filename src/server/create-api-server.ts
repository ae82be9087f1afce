import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Fleet } from '../fleet.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { ApiStore, TokenRecord } from '../store/api-store.js';
import { type Clock, systemClock } from '../util/clock.js';
import { ApiError, errorResponse } from './api-error.js';
import type { ApiContext, ApiDeps, ApiEnv, Define, Endpoint, TrafficSource } from './endpoint.js';
import { openApiDocument } from './openapi.js';
import { type Bucket, takeFromBucket } from './rate-limit.js';
import { may } from './roles.js';
import { adminRoutes } from './routes/admin.js';
import { deploymentRoutes } from './routes/deployments.js';
import { metaRoutes } from './routes/meta.js';
import { rolloutRoutes } from './routes/rollout.js';
import { gitSources, sourceRoutes } from './routes/sources.js';
import { isGitSourceStore } from '../store/git-source-store.js';
import type { SyncTrigger } from '../sync/sync-loop.js';
import { syncSource } from '../sync/sync-source.js';
import { verifyGitWebhook } from '../sync/verify-git-webhook.js';
import { type SessionOptions, Sessions, sessionView } from './session.js';
import { serveDashboard } from './static.js';
import { checkToken } from './tokens.js';
import { FeedHub } from './watch.js';

export interface ApiServerOptions {
  fleet: Fleet;
  /** The fleet's store (schema 6: feed, tokens, audit). */
  store: ApiStore;
  clock?: Clock;
  logger?: Logger;
  /** Largest request body (default 1 MiB): 413 beyond. */
  maxBodyBytes?: number;
  /** Requests per second per token, and the burst (default 100/s, burst 200): 429 beyond. */
  rateLimit?: { perSecond: number; burst: number };
  /** How often watches poll the feed (default 20 ms). */
  feedPollMs?: number;
  /** Changes the feed keeps (default 10000), pruned every minute. */
  feedKeep?: number;
  /**
   * Syncs a git source at once (a webhook, `POST .../sync`): the server's sync loop. Without it,
   * a sync is one pass in the request.
   */
  sync?: SyncTrigger;
  /** The dashboard's built files (default: dist/dashboard of the package); false: no dashboard. */
  dashboardDir?: string | false;
  /** Dashboard sessions (cookie login). */
  sessions?: SessionOptions;
  /** The controller's listeners, for `GET /deployments/NAME/traffic` (absent: that answers served false). */
  traffic?: TrafficSource;
}

export interface ApiServer {
  readonly app: Hono<ApiEnv>;
  readonly endpoints: readonly Endpoint[];
  readonly openapi: Record<string, unknown>;
  /** Stops the watches and the feed pruning. */
  close(): void;
}

const VERSION = '0.1.0';

/** The HTTP API over a fleet: auth and roles, JSON errors, audit, rate limits, the routes of every resource. */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const { store, fleet } = options;
  const hub = new FeedHub(store, { pollMs: options.feedPollMs ?? 20 });
  const sync: SyncTrigger = options.sync ?? {
    trigger: (name) => syncSource({ store: gitSources(deps), fleet, clock, wait: false }, name),
  };
  const deps: ApiDeps = {
    fleet,
    store,
    clock,
    logger,
    hub,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    sync,
    ...(options.traffic ? { traffic: options.traffic } : {}),
  };
  const rate = options.rateLimit ?? { perSecond: 100, burst: 200 };
  const buckets = new Map<string, Bucket>();
  const app = new Hono<ApiEnv>();
  const endpoints: Endpoint[] = [];
  const readOnly = new WeakSet<Request>();

  app.onError((e, c) => {
    const { status, body, headers } = errorResponse(e);
    if (status >= 500)
      logger.error({ path: c.req.path, code: body.error.code, err: body.error.message }, 'request failed');
    return c.json(body, status as 500, headers);
  });

  // audit every mutating request, whatever its outcome; never the token or the body
  app.use('*', async (c, next) => {
    await next();
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || readOnly.has(c.req.raw)) return;
    const token = c.get('token');
    try {
      await store.addAudit({
        time: clock.now(),
        who: token ? `${token.name}/${token.id}` : (c.get('actor') ?? '-'),
        what: `${method} ${c.req.path}`,
        from: remoteAddress(c),
        status: c.res.status,
        revision: c.get('revision') ?? null,
      });
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'the audit record could not be written');
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  if (options.dashboardDir !== false) serveDashboard(app, options.dashboardDir);

  app.use(
    '*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `the request body is larger than ${deps.maxBodyBytes} bytes`);
      },
    }),
  );

  // a git host's webhook: authenticated by the source's HMAC signature only (no token); a bad or
  // missing signature, or no such source, is 401 and nothing happens; a good one starts a sync
  app.post('/api/v1/sources/:name/webhook', async (c) => {
    const name = c.req.param('name');
    const body = Buffer.from(await c.req.arrayBuffer());
    const source = isGitSourceStore(store) ? await store.getGitSource(name) : undefined;
    const verdict = source
      ? verifyGitWebhook(source.webhookSecret ?? '', c.req.header(), body)
      : { ok: false as const, reason: 'no such git source' };
    if (!verdict.ok) {
      logger.warn({ source: name, from: remoteAddress(c), reason: verdict.reason }, 'webhook refused');
      throw new ApiError(
        401,
        'unauthorized',
        'the webhook is not signed with the secret of a git source of this name (X-Hub-Signature-256 or X-Gitlab-Token)',
      );
    }
    c.set('actor', `webhook:${name}`);
    sync
      .trigger(name)
      .catch((e: unknown) =>
        logger.error({ source: name, err: (e as Error).message }, 'the sync a webhook started failed'),
      );
    return c.json({ accepted: true, source: name }, 202);
  });

  const sessions = new Sessions(store, clock, options.sessions);
  sessions.routes(app);

  // every other path needs a valid token (a bearer header, or the dashboard's session cookie), and
  // each token its share of requests
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization');
    let token: TokenRecord;
    const fromSession = header === undefined ? await sessions.authenticate(c) : undefined;
    if (fromSession) token = fromSession;
    else {
      const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
      const check = await checkToken(store, m?.[1], clock.now());
      if (!check.ok) {
        throw new ApiError(401, 'unauthorized', check.reason, [], { 'www-authenticate': 'Bearer realm="skyfleet"' });
      }
      token = check.token;
    }
    c.set('token', token);
    const taken = takeFromBucket(buckets.get(token.id), clock.now(), rate.perSecond, rate.burst);
    buckets.set(token.id, taken.bucket);
    if (!taken.allowed) {
      const secs = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      throw new ApiError(429, 'rate_limited', `too many requests for token ${token.name}: retry after ${secs}s`, [], {
        'retry-after': String(secs),
      });
    }
    await next();
  });

  const define: Define = (endpoint, handler) => {
    endpoints.push(endpoint);
    app.on(endpoint.method.toUpperCase(), endpoint.path, async (c) => {
      if (!endpoint.mutating) readOnly.add(c.req.raw);
      const token = c.get('token');
      if (!may(token.role, endpoint.permission)) {
        throw new ApiError(
          403,
          'forbidden',
          `token ${token.name} (role ${token.role}) may not ${endpoint.method.toUpperCase()} ${endpoint.path}: it needs ${endpoint.permission === 'read' ? 'viewer' : endpoint.permission === 'write' ? 'deployer' : 'admin'}`,
        );
      }
      return handler(c);
    });
  };

  deploymentRoutes(define, deps);
  rolloutRoutes(define, deps);
  metaRoutes(define, deps);
  adminRoutes(define, deps);
  sourceRoutes(define, deps);

  // who is logged in (the dashboard after a reload): name, role and the session's CSRF token
  app.get('/api/v1/session', (c) =>
    c.json(sessionView(c.get('token'), c.get('csrf'), c.get('sessionExpiresAt')), 200, { 'cache-control': 'no-store' }),
  );

  const openapi = openApiDocument(endpoints, VERSION);
  app.get('/openapi.json', (c) => c.json(openapi));

  const patterns = endpoints.map((e) => ({
    method: e.method.toUpperCase(),
    re: new RegExp(`^${e.path.replace(/:\w+/g, '[^/]+')}$`),
  }));
  app.notFound((c) => {
    const allow = [...new Set(patterns.filter((p) => p.re.test(c.req.path)).map((p) => p.method))];
    if (allow.length) {
      const { body } = errorResponse(
        new ApiError(
          405,
          'method_not_allowed',
          `${c.req.method} is not allowed on ${c.req.path}: use ${allow.join(', ')}`,
        ),
      );
      return c.json(body, 405, { allow: allow.join(', ') });
    }
    return c.json(errorResponse(new ApiError(404, 'not_found', `no such resource: ${c.req.path}`)).body, 404);
  });

  const keep = options.feedKeep ?? 10_000;
  const pruner = setInterval(() => {
    store.pruneChanges(keep).catch((e) => logger.warn({ err: (e as Error).message }, 'feed pruning failed'));
  }, 60_000);
  pruner.unref();

  return {
    app,
    endpoints,
    openapi,
    close() {
      clearInterval(pruner);
      hub.close();
    },
  };
}

function remoteAddress(c: ApiContext): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? '-';
}
