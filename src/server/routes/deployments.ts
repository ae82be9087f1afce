import type { ConvergeResult } from '../../reconcile/converge.js';
import { ApiError } from '../api-error.js';
import { readDocuments, readJson } from '../body.js';
import type { ApiContext, ApiDeps, Define } from '../endpoint.js';
import { respond } from '../negotiate.js';
import { redactRecord } from '../redact.js';
import * as S from '../schemas.js';
import { watchFeed } from '../watch.js';

const base = '/api/v1/deployments';

/** `If-Match: "N"` or `?resourceVersion=N` on a write: the version the writer read (409 if it moved). */
export function expectedVersion(c: ApiContext): number | undefined {
  const raw = c.req.header('if-match')?.replace(/^W\//, '').replaceAll('"', '') ?? c.req.query('resourceVersion');
  if (raw === undefined || raw === '' || raw === '*') return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ApiError(
      400,
      'invalid_input',
      `resourceVersion: expected a non-negative integer, got ${JSON.stringify(raw)}`,
      [{ path: 'resourceVersion', message: 'expected a non-negative integer' }],
    );
  }
  return Number(raw);
}

/** `?wait=false` and `?timeoutMs=N`. */
export function convergeQuery(c: ApiContext): { wait?: boolean; timeoutMs?: number } {
  const wait = c.req.query('wait');
  const timeout = c.req.query('timeoutMs');
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new ApiError(400, 'invalid_input', `timeoutMs: expected milliseconds, got ${JSON.stringify(timeout)}`, [
      { path: 'timeoutMs', message: 'expected a non-negative integer' },
    ]);
  }
  return {
    ...(wait !== undefined ? { wait: !['false', '0', 'no'].includes(wait) } : {}),
    ...(timeout !== undefined ? { timeoutMs: Number(timeout) } : {}),
  };
}

/** A converge result with the record's versions, as the API answers a write. */
export async function withVersions(deps: ApiDeps, name: string, res: ConvergeResult) {
  const rec = await deps.store.getDeployment(name);
  return {
    deployment: name,
    ...res,
    ...(rec ? { generation: rec.generation, resourceVersion: rec.resourceVersion ?? 0 } : {}),
  };
}

const record = (r: NonNullable<Awaited<ReturnType<ApiDeps['store']['getDeployment']>>>) =>
  redactRecord({ ...r, resourceVersion: r.resourceVersion ?? 0 });

export function deploymentRoutes(define: Define, deps: ApiDeps): void {
  const { fleet, store, hub } = deps;
  const convergeOpts = (c: ApiContext) => ({ ...convergeQuery(c), signal: c.req.raw.signal });

  define(
    {
      method: 'get',
      path: base,
      permission: 'read',
      mutating: false,
      summary: 'list deployments; with ?watch=1 a stream of their changes (Server-Sent Events)',
      query: {
        watch: '1: stream changes',
        resourceVersion: 'watch: resume after this version',
        name: 'watch: one deployment',
      },
      response: S.deploymentList,
      watch: true,
    },
    async (c) => {
      if (c.req.query('watch')) {
        const name = c.req.query('name');
        return watchFeed(c, store, hub, (ch) => ch.kind === 'deployment' && (!name || ch.name === name), {
          heartbeatMs: heartbeat(c),
        });
      }
      // the feed's newest first: a watch from it misses nothing the list did not show
      const { newest } = await store.feedBounds();
      const items = await store.listDeployments();
      return respond(c, { items: items.map(record), resourceVersion: newest });
    },
  );

  const apply = async (c: ApiContext, name?: string) => {
    const docs = await readDocuments(c, deps.maxBodyBytes, fleet.name);
    const version = expectedVersion(c);
    if (name !== undefined && (docs.length !== 1 || docs[0]!.metadata.name !== name)) {
      throw new ApiError(400, 'invalid_input', `PUT ${base}/${name} takes one Deployment named ${name}`, [
        { path: 'metadata.name', message: `expected "${name}"` },
      ]);
    }
    if (version !== undefined && docs.length !== 1) {
      throw new ApiError(400, 'invalid_input', 'a resourceVersion applies to one document: send one', [
        { path: 'resourceVersion', message: 'only with a single document' },
      ]);
    }
    // all or nothing: every document passes every check before the first is written
    for (const d of docs) await fleet.validate(d);
    const items = [];
    for (const d of docs) {
      const res = await fleet.apply(d, {
        ...convergeOpts(c),
        ...(version !== undefined ? { expectResourceVersion: version } : {}),
      });
      hub.poke();
      c.set('revision', res.revision);
      items.push(await withVersions(deps, d.metadata.name, res));
    }
    return items;
  };

  define(
    {
      method: 'post',
      path: base,
      permission: 'write',
      mutating: true,
      summary: 'apply deployments (YAML, several documents, or JSON): every one validated before any is written',
      body: 'documents',
      query: {
        wait: 'false: return after the first step',
        timeoutMs: 'readiness deadline',
        resourceVersion: 'the version read (409 if it moved)',
      },
      response: S.applyResult,
    },
    async (c) => respond(c, { items: await apply(c) }),
  );

  define(
    {
      method: 'put',
      path: `${base}/:name`,
      permission: 'write',
      mutating: true,
      summary: 'apply one deployment; If-Match or ?resourceVersion= makes it a compare-and-set (409 Conflict)',
      body: 'documents',
      query: {
        wait: 'false: return after the first step',
        timeoutMs: 'readiness deadline',
        resourceVersion: 'the version read',
      },
      response: S.convergeResult,
    },
    async (c) => respond(c, (await apply(c, c.req.param('name')))[0]),
  );

  define(
    {
      method: 'get',
      path: `${base}/:name`,
      permission: 'read',
      mutating: false,
      summary: 'one deployment: its spec (secret references redacted), generation and resourceVersion',
      response: S.deploymentRecord,
    },
    async (c) => {
      const name = c.req.param('name')!;
      const rec = await fleet.get(name);
      if (!rec) throw notFound(name, fleet.name);
      const withRv = await store.getDeployment(name);
      c.header('etag', `"${withRv?.resourceVersion ?? 0}"`);
      return respond(c, record(withRv ?? rec));
    },
  );

  define(
    {
      method: 'delete',
      path: `${base}/:name`,
      permission: 'write',
      mutating: true,
      summary: 'delete a deployment and everything it runs',
      response: S.deleteResult,
    },
    async (c) => {
      const name = c.req.param('name')!;
      if (!(await fleet.get(name))) throw notFound(name, fleet.name);
      const res = await fleet.delete(name, {
        signal: c.req.raw.signal,
        ...(convergeQuery(c).timeoutMs !== undefined ? { timeoutMs: convergeQuery(c).timeoutMs } : {}),
      });
      hub.poke();
      return respond(c, res);
    },
  );

  define(
    {
      method: 'post',
      path: `${base}/:name/scale`,
      permission: 'write',
      mutating: true,
      summary: 'change the replica count',
      body: S.scaleRequest,
      query: {
        wait: 'false: return after the first step',
        timeoutMs: 'readiness deadline',
        resourceVersion: 'the version read',
      },
      response: S.convergeResult,
    },
    async (c) => {
      const name = c.req.param('name')!;
      const { replicas } = await readJson(c, deps.maxBodyBytes, S.scaleRequest);
      const version = expectedVersion(c);
      const res = await fleet.scale(name, replicas, {
        ...convergeOpts(c),
        ...(version !== undefined ? { expectResourceVersion: version } : {}),
      });
      hub.poke();
      c.set('revision', res.revision);
      return respond(c, await withVersions(deps, name, res));
    },
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/status`,
      permission: 'read',
      mutating: false,
      summary: 'what runs for the deployment, per target and zone, and its conditions',
      response: S.deploymentStatus,
    },
    async (c) => respond(c, await fleet.status(c.req.param('name')!)),
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/history`,
      permission: 'read',
      mutating: false,
      summary: 'recorded revisions (templates redacted)',
      response: S.revisionList,
    },
    async (c) => respond(c, { items: (await fleet.history(c.req.param('name')!)).map(redactRecord) }),
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/autoscaling`,
      permission: 'read',
      mutating: false,
      summary: "the deployment's autoscaler (null without spec.autoscaling)",
      response: S.autoscalingView,
    },
    async (c) => respond(c, { autoscaling: (await fleet.autoscaling(c.req.param('name')!)) ?? null }),
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/traffic`,
      permission: 'read',
      mutating: false,
      summary:
        "requests per second, error rate and latency per revision at the deployment's listener, over a window (served false without one)",
      query: { windowMs: 'the window (default 10000, 1000 to 600000)' },
      response: S.trafficView,
    },
    async (c) => {
      const name = c.req.param('name')!;
      if (!(await store.getDeployment(name))) throw notFound(name, fleet.name);
      const raw = c.req.query('windowMs') ?? '10000';
      if (!/^\d+$/.test(raw) || Number(raw) < 1000 || Number(raw) > 600_000) {
        throw new ApiError(400, 'invalid_input', `windowMs: expected 1000 to 600000, got ${JSON.stringify(raw)}`, [
          { path: 'windowMs', message: 'expected an integer from 1000 to 600000' },
        ]);
      }
      const windowMs = Number(raw);
      const served = deps.traffic?.has(name) ?? false;
      return respond(c, {
        deployment: name,
        windowMs,
        served,
        at: deps.clock.now(),
        items: served ? deps.traffic!.allStats(name, windowMs) : [],
      });
    },
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/describe`,
      permission: 'read',
      mutating: false,
      summary: 'a deployment in detail: record, status, history, recent events, autoscaler',
      response: S.describeResult,
    },
    async (c) => {
      const name = c.req.param('name')!;
      const rec = await store.getDeployment(name);
      if (!rec) throw notFound(name, fleet.name);
      const [status, history, events, auto] = await Promise.all([
        fleet.status(name),
        fleet.history(name),
        fleet.events({ deployment: name, limit: 15 }),
        fleet.autoscaling(name),
      ]);
      return respond(c, {
        record: record(rec),
        status,
        history: history.map(redactRecord),
        events,
        autoscaling: auto ?? null,
      });
    },
  );

  define(
    {
      method: 'post',
      path: `${base}/:name/migrate`,
      permission: 'write',
      mutating: true,
      summary: 'move the deployment to other targets without dropping a request',
      body: S.migrateRequest,
      query: { timeoutMs: 'how long the destination may take' },
      response: S.convergeResult,
    },
    async (c) => {
      const name = c.req.param('name')!;
      const move = await readJson(c, deps.maxBodyBytes, S.migrateRequest);
      const res = await fleet.migrate(
        name,
        { to: move.to, ...(move.from ? { from: move.from } : {}) },
        convergeOpts(c),
      );
      hub.poke();
      c.set('revision', res.revision);
      return respond(c, await withVersions(deps, name, res));
    },
  );

  define(
    {
      method: 'get',
      path: `${base}/:name/nginx`,
      permission: 'read',
      mutating: false,
      summary: "an nginx upstream and server block with the deployment's endpoints and weights",
      response: S.schemaDoc,
      text: true,
    },
    async (c) => c.text(await fleet.exportNginx(c.req.param('name')!)),
  );
}

export function notFound(name: string, fleet: string): ApiError {
  return new ApiError(404, 'not_found', `deployment "${name}" not found: apply it first (fleet ${fleet})`);
}

/** `?heartbeatMs=` (tests), default 15 s. */
export function heartbeat(c: ApiContext): number {
  const v = Number(c.req.query('heartbeatMs'));
  return Number.isFinite(v) && v >= 10 ? v : 15_000;
}
