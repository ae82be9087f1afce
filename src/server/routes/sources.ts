import { ApiError } from '../api-error.js';
import { NotFoundError } from '../../errors/index.js';
import { isGitSourceStore, type GitSourceStore } from '../../store/git-source-store.js';
import { registerSource } from '../../sync/register-source.js';
import { sourceStatus } from '../../sync/source-status.js';
import { publicSource } from '../../sync/sync-source.js';
import { readJson } from '../body.js';
import type { ApiDeps, Define } from '../endpoint.js';
import { respond } from '../negotiate.js';
import { redactFields } from '../redact.js';
import * as S from '../schemas.js';

/** The store's git sources, or 501 for a store that keeps none. */
export function gitSources(deps: ApiDeps): GitSourceStore {
  if (!isGitSourceStore(deps.store))
    throw new ApiError(501, 'not_implemented', 'this server store keeps no git sources');
  return deps.store;
}

const NO_SOURCE = 'see GET /api/v1/sources, or register it with POST /api/v1/sources';

/**
 * Git sources (skyfleet sync): viewers read them, deployers sync them, admins register and
 * delete them (a source decides what is applied). The webhook is not here: it is authenticated
 * by the source's HMAC signature, not a token (create-api-server.ts).
 */
export function sourceRoutes(define: Define, deps: ApiDeps): void {
  const { clock } = deps;
  const get = async (name: string) => {
    const s = await gitSources(deps).getGitSource(name);
    if (!s) throw new NotFoundError('git source', name, NO_SOURCE);
    return s;
  };
  define(
    {
      method: 'get',
      path: '/api/v1/sources',
      permission: 'read',
      mutating: false,
      summary: 'git sources (never their webhook secrets)',
      response: S.gitSourceList,
    },
    async (c) => respond(c, { items: (await gitSources(deps).listGitSources()).map(publicSource) }),
  );
  define(
    {
      method: 'get',
      path: '/api/v1/sources/:name',
      permission: 'read',
      mutating: false,
      summary: 'a git source: settings, last commits, last error',
      response: S.gitSourceView,
    },
    async (c) => respond(c, publicSource(await get(c.req.param('name')!))),
  );
  define(
    {
      method: 'get',
      path: '/api/v1/sources/:name/status',
      permission: 'read',
      mutating: false,
      summary: 'a git source and its drift: what differs from the last synced commit (the next sync reverts it)',
      response: S.gitSourceStatus,
    },
    async (c) => {
      const st = sourceStatus(await get(c.req.param('name')!), await deps.fleet.list());
      return respond(c, { ...st, drift: st.drift.map((d) => ({ ...d, fields: redactFields(d.fields) })) });
    },
  );
  define(
    {
      method: 'post',
      path: '/api/v1/sources',
      permission: 'admin',
      mutating: true,
      summary: 'register a git source, or change its settings (the webhook secret is kept when not sent)',
      body: S.gitSourceRequest,
      response: S.gitSourceView,
    },
    async (c) => {
      const req = await readJson(c, deps.maxBodyBytes, S.gitSourceRequest);
      const { webhookSecret, ...rest } = req;
      const saved = await registerSource(
        gitSources(deps),
        { ...rest, ...(webhookSecret !== undefined ? { webhookSecret } : {}) },
        clock.now(),
      );
      return respond(c, publicSource(saved), 201);
    },
  );
  define(
    {
      method: 'delete',
      path: '/api/v1/sources/:name',
      permission: 'admin',
      mutating: true,
      summary: 'stop syncing a git source (its deployments keep running)',
      response: S.gitSourceDeleted,
    },
    async (c) => {
      const name = c.req.param('name')!;
      if (!(await gitSources(deps).deleteGitSource(name))) throw new NotFoundError('git source', name, NO_SOURCE);
      return respond(c, { deleted: name });
    },
  );
  define(
    {
      method: 'post',
      path: '/api/v1/sources/:name/sync',
      permission: 'write',
      mutating: true,
      summary: 'sync a git source now: a head check, and the commit read and applied only if it moved',
      response: S.syncReport,
    },
    async (c) => {
      const name = c.req.param('name')!;
      await get(name);
      const report = await deps.sync.trigger(name);
      const revisions = report.applied.map((a) => a.revision);
      if (revisions.length) c.set('revision', revisions.join(','));
      return respond(c, { ...report, applied: report.applied.map((a) => ({ ...a, fields: redactFields(a.fields) })) });
    },
  );
}
