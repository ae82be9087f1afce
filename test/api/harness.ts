import { MemoryCloud, MemoryProvider } from '../../providers/memory/index.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../src/fleet.js';
import { type ApiServer, type ApiServerOptions, createApiServer } from '../../src/server/index.js';
import { createApiToken } from '../../src/server/tokens.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import type { TokenRole } from '../../src/store/api-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

export const web = (image = 'img:1', replicas = 2, name = 'web'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          ports: [{ containerPort: 8080 }],
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          ],
        },
      ],
    },
  },
});

export interface Harness {
  fleet: Fleet;
  store: SqliteStore;
  api: ApiServer;
  tokens: Record<TokenRole, string>;
  request(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; type?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** An API server over a fleet of two in-memory targets, on an in-memory SQLite store, with one token per role. */
export async function harness(options: Partial<ApiServerOptions> = {}): Promise<Harness> {
  process.env.SKYFLEET_SECRET_DB_PASSWORD = 'hunter2-secret-value';
  const cloud = new MemoryCloud();
  const providers = ['mem', 'mem2'].map(
    (name) =>
      new MemoryProvider(
        memoryTargetSettings.parse({ name, kind: 'memory', zones: ['a'] }),
        { fleet: 'api' },
        { cloud },
      ),
  );
  const store = await SqliteStore.open(':memory:');
  const fleet = createFleet({ name: 'api', targets: providers, store });
  const api = createApiServer({ fleet, store, rateLimit: { perSecond: 1e6, burst: 1e6 }, ...options });
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['viewer', 'deployer', 'admin'] as const) {
    tokens[role] = (await createApiToken(store, { role, name: `${role}-token`, now: Date.now() })).token;
  }
  return {
    fleet,
    store,
    api,
    tokens,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? tokens.admin : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] = o.type ?? 'application/json';
      }
      return api.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    },
    async close() {
      api.close();
      await fleet.close();
      await store.close();
    },
  };
}
