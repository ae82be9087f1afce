import { stringify } from 'yaml';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { specYaml, testRepo } from '../helpers/git-repo.js';
import { type Harness, harness, web } from './harness.js';

// Every endpoint is called, and every response body is checked against the schema the OpenAPI
// document gives for its path, method and status. No JSON-Schema validator is installed (no ajv):
// the document's schemas are turned back into validators with zod's z.fromJSONSchema.

let h: Harness;
let doc: {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
};
const covered = new Set<string>();

beforeAll(async () => {
  h = await harness();
  const res = await h.request('GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(() => h.close());

/** Calls METHOD PATH and checks the answer against the document; returns the body. */
async function call(
  method: string,
  template: string,
  path: string,
  options: Parameters<Harness['request']>[2] & { status?: number } = {},
): Promise<unknown> {
  const res = await h.request(method, path, options);
  const text = await res.text();
  if (options.status !== undefined) expect(res.status, `${method} ${path}: ${text}`).toBe(options.status);
  const op = doc.paths[template.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template} is not in the OpenAPI document`);
  const response = op.responses[String(res.status)];
  if (!response) throw new Error(`${method} ${template}: status ${res.status} is not documented (${text})`);
  covered.add(`${method} ${template}`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const schema = response.content?.[type]?.schema;
  if (!schema) throw new Error(`${method} ${template} ${res.status}: content type ${type} is not documented`);
  const body = type === 'application/json' ? JSON.parse(text) : text;
  const check = z.fromJSONSchema(schema as never).safeParse(body);
  if (!check.success)
    throw new Error(
      `${method} ${template} ${res.status} does not match the document: ${check.error.message}\n${text.slice(0, 500)}`,
    );
  return body;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with every endpoint and its errors', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const e of h.api.endpoints) {
      const op = doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]?.[e.method];
      expect(op, `${e.method} ${e.path}`).toBeDefined();
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '429']));
    }
  });

  it('describes the answer of every endpoint', async () => {
    const D = '/api/v1/deployments';
    await call('GET', '/healthz', '/healthz', { token: null, status: 200 });
    await call('GET', '/api/v1/fleet', '/api/v1/fleet', { status: 200 });
    await call('POST', '/api/v1/validate', '/api/v1/validate', { body: web(), status: 200 });
    await call('POST', '/api/v1/plan', '/api/v1/plan', {
      body: stringify(web()),
      type: 'application/yaml',
      status: 200,
    });
    const applied = (await call('POST', D, D, { body: web(), status: 200 })) as {
      items: Array<{ resourceVersion: number }>;
    };
    expect(applied.items[0]!.resourceVersion).toBeGreaterThan(0);
    await call('PUT', `${D}/:name`, `${D}/web`, { body: web('img:2'), status: 200 });
    const list = (await call('GET', D, D, { status: 200 })) as { items: Array<{ spec: unknown }> };
    expect(JSON.stringify(list)).not.toContain('hunter2');
    await call('GET', `${D}/:name`, `${D}/web`, { status: 200 });
    await call('GET', `${D}/:name`, `${D}/nope`, { status: 404 });
    await call('POST', `${D}/:name/scale`, `${D}/web/scale`, { body: { replicas: 3 }, status: 200 });
    await call('GET', `${D}/:name/status`, `${D}/web/status`, { status: 200 });
    await call('GET', `${D}/:name/history`, `${D}/web/history`, { status: 200 });
    await call('GET', `${D}/:name/autoscaling`, `${D}/web/autoscaling`, { status: 200 });
    await call('GET', `${D}/:name/describe`, `${D}/web/describe`, { status: 200 });
    await call('GET', `${D}/:name/traffic`, `${D}/web/traffic`, { status: 200 });
    await call('GET', `${D}/:name/nginx`, `${D}/web/nginx`, { status: 200 });
    await call('GET', `${D}/:name/rollout`, `${D}/web/rollout`, { status: 200 });
    await call('GET', `${D}/:name/rollout/history`, `${D}/web/rollout/history`, { status: 200 });
    for (const a of ['promote', 'pause', 'resume', 'abort']) {
      // a RollingUpdate deployment has no progressive rollout to control
      await call('POST', `${D}/:name/rollout/${a}`, `${D}/web/rollout/${a}`, { status: 409 });
    }
    await call('POST', `${D}/:name/rollout/undo`, `${D}/web/rollout/undo`, { body: {}, status: 200 });
    await call('POST', `${D}/:name/migrate`, `${D}/web/migrate`, { body: { to: ['mem2'] }, status: 200 });
    await call('GET', '/api/v1/events', '/api/v1/events?deployment=web', { status: 200 });
    await call('GET', '/api/v1/targets', '/api/v1/targets', { status: 200 });
    await call('GET', '/api/v1/schema', '/api/v1/schema', { status: 200 });
    await call('GET', '/api/v1/schema/:kind', '/api/v1/schema/Deployment', { status: 200 });
    const created = (await call('POST', '/api/v1/tokens', '/api/v1/tokens', {
      body: { role: 'viewer', name: 'ci' },
      status: 201,
    })) as { token: string; record: { id: string } };
    await call('GET', '/api/v1/tokens', '/api/v1/tokens', { status: 200 });
    await call('DELETE', '/api/v1/tokens/:id', `/api/v1/tokens/${created.record.id}`, { status: 200 });
    await call('GET', '/api/v1/audit', '/api/v1/audit', { status: 200 });
    await call('DELETE', `${D}/:name`, `${D}/web`, { status: 200 });
    const repo = testRepo();
    try {
      const S = '/api/v1/sources';
      const secret = 'contract-webhook-secret-0123456789';
      repo.commit({ 'deploy/app.yaml': specYaml('gitapp', 'img:1') }, 'app');
      await call('POST', S, S, {
        body: { name: 'app', repo: repo.dir, path: 'deploy', webhookSecret: secret },
        status: 201,
      });
      await call('GET', S, S, { status: 200 });
      await call('GET', `${S}/:name`, `${S}/app`, { status: 200 });
      await call('GET', `${S}/:name`, `${S}/nope`, { status: 404 });
      await call('POST', `${S}/:name/sync`, `${S}/app/sync`, { status: 200 });
      await call('GET', `${S}/:name/status`, `${S}/app/status`, { status: 200 });
      const signature = `sha256=${createHmac('sha256', secret).update('{}').digest('hex')}`;
      await call('POST', `${S}/:name/webhook`, `${S}/app/webhook`, {
        token: null,
        body: '{}',
        headers: { 'x-hub-signature-256': signature },
        status: 202,
      });
      await call('POST', `${S}/:name/webhook`, `${S}/app/webhook`, { token: null, body: '{}', status: 401 });
      await call('DELETE', `${S}/:name`, `${S}/app`, { status: 200 });
    } finally {
      repo.remove();
    }
    const missing = h.api.endpoints.map((e) => `${e.method.toUpperCase()} ${e.path}`).filter((k) => !covered.has(k));
    expect(missing).toEqual([]);
  });
});
