import { readJson } from '../body.js';
import type { ApiDeps, Define } from '../endpoint.js';
import { respond } from '../negotiate.js';
import { redactRecord } from '../redact.js';
import * as S from '../schemas.js';
import { convergeQuery, withVersions } from './deployments.js';

const base = '/api/v1/deployments/:name/rollout';
const CONTROLS = ['promote', 'pause', 'resume', 'abort'] as const;

export function rolloutRoutes(define: Define, deps: ApiDeps): void {
  const { fleet, hub } = deps;
  define(
    {
      method: 'get',
      path: base,
      permission: 'read',
      mutating: false,
      summary: 'where the rollout stands (strategy, phase, step, readiness)',
      response: S.rolloutStatus,
    },
    async (c) => respond(c, await fleet.rollout.status(c.req.param('name')!)),
  );
  define(
    {
      method: 'get',
      path: `${base}/history`,
      permission: 'read',
      mutating: false,
      summary: 'recorded revisions (templates redacted)',
      response: S.revisionList,
    },
    async (c) => respond(c, { items: (await fleet.rollout.history(c.req.param('name')!)).map(redactRecord) }),
  );
  for (const action of CONTROLS) {
    define(
      {
        method: 'post',
        path: `${base}/${action}`,
        permission: 'write',
        mutating: true,
        summary: `${action} a BlueGreen or Canary rollout`,
        response: S.rolloutState,
      },
      async (c) => {
        const st = await fleet.rollout[action](c.req.param('name')!);
        hub.poke();
        c.set('revision', st.canary);
        return respond(c, st);
      },
    );
  }
  define(
    {
      method: 'post',
      path: `${base}/undo`,
      permission: 'write',
      mutating: true,
      summary: 'roll back to a recorded revision (the previous one by default)',
      body: S.undoRequest,
      query: { wait: 'false: return after the first step', timeoutMs: 'readiness deadline' },
      response: S.convergeResult,
    },
    async (c) => {
      const name = c.req.param('name')!;
      const body = await readJson(c, deps.maxBodyBytes, S.undoRequest);
      const res = await fleet.rollout.undo(name, {
        ...convergeQuery(c),
        ...(body.toRevision !== undefined ? { toRevision: body.toRevision } : {}),
        signal: c.req.raw.signal,
      });
      hub.poke();
      c.set('revision', res.revision);
      return respond(c, await withVersions(deps, name, res));
    },
  );
}
