import { z } from 'zod';
import type { Endpoint } from './endpoint.js';
import * as S from './schemas.js';

const ERROR_STATUSES: Record<string, string> = {
  '400': 'bad input: the fields name each problem (nothing changed)',
  '401': 'no valid token (missing, wrong, expired or revoked)',
  '403': "the token's role may not do this",
  '404': 'no such resource',
  '405': 'method not allowed on this path',
  '409': 'conflict: another writer changed the deployment since the version sent',
  '410': 'watch: the version is older than the changes kept',
  '413': 'request body too large',
  '415': 'unsupported content type',
  '429': 'rate limited: see Retry-After',
  '500': 'server error',
};

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

/** The OpenAPI 3.1 document of the API, generated from the endpoints' zod schemas. */
export function openApiDocument(endpoints: readonly Endpoint[], version: string): Record<string, unknown> {
  const error = json(S.errorBody);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    const path = e.path.replace(/:(\w+)/g, '{$1}');
    const params = [...e.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(e.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    const ok: Record<string, unknown> = e.text
      ? { 'text/plain': { schema: { type: 'string' } } }
      : {
          'application/json': { schema: json(e.response) },
          'application/yaml': { schema: json(e.response) },
          ...(e.watch ? { 'text/event-stream': { schema: { type: 'string' } } } : {}),
        };
    const op: Record<string, unknown> = {
      summary: e.summary,
      operationId: `${e.method}${path
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_, ch: string) => ch.toUpperCase())
        .replace(/[^A-Za-z0-9]/g, '')}`,
      security: [{ bearer: [] }],
      'x-skyfleet-permission': e.permission,
      parameters: [...params, ...query],
      responses: {
        [e.method === 'post' && (e.path === '/api/v1/tokens' || e.path === '/api/v1/sources') ? '201' : '200']: {
          description: 'ok',
          content: ok,
        },
        ...Object.fromEntries(
          Object.entries(ERROR_STATUSES).map(([status, description]) => [
            status,
            { description, content: { 'application/json': { schema: error } } },
          ]),
        ),
      },
    };
    if (e.body === 'documents') {
      op.requestBody = {
        required: true,
        content: {
          'application/json': { schema: json(S.deploymentDocuments, 'input') },
          'application/yaml': { schema: { type: 'string', description: 'one or more YAML Deployment documents' } },
        },
      };
    } else if (e.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: json(e.body, 'input') } } };
    }
    paths[path] = { ...(paths[path] ?? {}), [e.method]: op };
  }
  paths['/healthz'] = {
    get: {
      summary: 'liveness, without a token',
      operationId: 'getHealthz',
      security: [],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: json(S.health) } } } },
    },
  };
  paths['/api/v1/sources/{name}/webhook'] = {
    post: {
      summary:
        "a git host's push webhook: starts a sync of the source at once; authenticated by the source's shared secret only (GitHub X-Hub-Signature-256: sha256=HMAC of the body, or GitLab X-Gitlab-Token), no token",
      operationId: 'postApiV1SourcesNameWebhook',
      security: [],
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '202': {
          description: 'accepted: a sync started',
          content: { 'application/json': { schema: json(S.webhookAccepted) } },
        },
        '401': {
          description: 'the signature is missing or wrong, or there is no such source: nothing happens',
          content: { 'application/json': { schema: error } },
        },
        '413': { description: 'request body too large', content: { 'application/json': { schema: error } } },
      },
    },
  };
  paths['/openapi.json'] = {
    get: {
      summary: 'this document',
      operationId: 'getOpenapi',
      security: [{ bearer: [] }],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'skyfleet API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
