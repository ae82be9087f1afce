import { ApiError } from '../api-error.js';
import { readDocuments } from '../body.js';
import type { ApiDeps, Define } from '../endpoint.js';
import { respond } from '../negotiate.js';
import { redactDeployment } from '../redact.js';
import * as S from '../schemas.js';
import { watchFeed } from '../watch.js';
import { heartbeat } from './deployments.js';

/** plan, validate, events, targets, schema. */
export function metaRoutes(define: Define, deps: ApiDeps): void {
  const { fleet, store, hub } = deps;
  define(
    {
      method: 'get',
      path: '/api/v1/fleet',
      permission: 'read',
      mutating: false,
      summary: "the fleet's name",
      response: S.fleetInfo,
    },
    async (c) => respond(c, { name: fleet.name }),
  );
  define(
    {
      method: 'post',
      path: '/api/v1/plan',
      permission: 'read',
      mutating: false,
      summary: 'what apply would change and why, changing nothing',
      body: 'documents',
      response: S.planList,
    },
    async (c) => {
      const docs = await readDocuments(c, deps.maxBodyBytes, fleet.name);
      const items = [];
      for (const d of docs) items.push(await fleet.plan(d));
      return respond(c, { items });
    },
  );
  define(
    {
      method: 'post',
      path: '/api/v1/validate',
      permission: 'read',
      mutating: false,
      summary: 'every check apply makes before its first write, changing nothing',
      body: 'documents',
      response: S.validateResult,
    },
    async (c) => {
      const docs = await readDocuments(c, deps.maxBodyBytes, fleet.name);
      const items = [];
      for (const d of docs) items.push(redactDeployment(await fleet.validate(d)));
      return respond(c, { items });
    },
  );
  define(
    {
      method: 'get',
      path: '/api/v1/events',
      permission: 'read',
      mutating: false,
      summary: 'recent events; with ?watch=1 a stream of new ones (Server-Sent Events)',
      query: {
        deployment: 'one deployment',
        limit: 'most events',
        watch: '1: stream',
        resourceVersion: 'watch: resume after',
      },
      response: S.eventList,
      watch: true,
    },
    async (c) => {
      const deployment = c.req.query('deployment');
      if (c.req.query('watch')) {
        return watchFeed(c, store, hub, (ch) => ch.kind === 'event' && (!deployment || ch.name === deployment), {
          heartbeatMs: heartbeat(c),
        });
      }
      const limitRaw = c.req.query('limit') ?? '50';
      if (!/^\d+$/.test(limitRaw)) {
        throw new ApiError(400, 'invalid_input', `limit: expected a count, got ${JSON.stringify(limitRaw)}`, [
          { path: 'limit', message: 'expected a non-negative integer' },
        ]);
      }
      const { newest } = await store.feedBounds();
      const items = await fleet.events({ ...(deployment ? { deployment } : {}), limit: Number(limitRaw) });
      return respond(c, { items, resourceVersion: newest });
    },
  );
  define(
    {
      method: 'get',
      path: '/api/v1/targets',
      permission: 'read',
      mutating: false,
      summary: "the fleet's targets: topology, capabilities, capacity per zone and the platform's health word",
      response: S.targetList,
    },
    async (c) => {
      const providers = await fleet.providers();
      const items = await Promise.all(
        [...providers.values()].map(async (p) => {
          const d = p.describe();
          let health = null;
          let healthError: string | undefined;
          try {
            health = p.health ? await p.health({ signal: c.req.raw.signal }) : null;
          } catch (e) {
            healthError = (e as Error).message;
          }
          return {
            target: d.target,
            kind: d.kind,
            topology: d.topology,
            capabilities: d.capabilities,
            ...(d.maxReplicasPerZone !== undefined ? { maxReplicasPerZone: d.maxReplicasPerZone } : {}),
            health,
            ...(healthError ? { healthError } : {}),
          };
        }),
      );
      return respond(c, { items });
    },
  );
  define(
    {
      method: 'get',
      path: '/api/v1/schema',
      permission: 'read',
      mutating: false,
      summary: 'JSON Schemas of the Fleet and Deployment documents',
      response: S.schemaDoc,
    },
    async (c) => {
      const { jsonSchemas } = await import('../../spec/json-schema.js');
      return respond(c, jsonSchemas());
    },
  );
  define(
    {
      method: 'get',
      path: '/api/v1/schema/:kind',
      permission: 'read',
      mutating: false,
      summary: 'the JSON Schema of Fleet or Deployment',
      response: S.schemaDoc,
    },
    async (c) => {
      const kind = c.req.param('kind');
      if (kind !== 'Fleet' && kind !== 'Deployment') {
        throw new ApiError(404, 'not_found', `schema: expected Fleet or Deployment, got ${JSON.stringify(kind)}`);
      }
      const { jsonSchemas } = await import('../../spec/json-schema.js');
      return respond(c, jsonSchemas()[kind] as object);
    },
  );
}
