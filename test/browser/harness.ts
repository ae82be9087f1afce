import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { MemoryCloud, MemoryProvider } from '../../providers/memory/index.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';
import { createFleet, type Fleet } from '../../src/fleet.js';
import { type ApiServer, createApiServer, createApiToken, type Listening, listen } from '../../src/server/index.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import type { TokenRole } from '../../src/store/api-store.js';
import type { RevisionStats } from '../../src/traffic/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DASHBOARD = join(ROOT, 'dist/dashboard');
/** Screenshots the browser tests keep (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export const CHROMIUM = '/usr/bin/chromium';

/**
 * A fleet of three memory targets in three "clouds", its controller running (failover, rollouts),
 * the API server on 127.0.0.1 serving the built dashboard, one token per role.
 * - azure-lab (azure, westeurope, zone westeurope-1): replicas ready at once
 * - aws-lab (aws, us-east-1, zones a, b): replicas ready 1 s after they start (rollouts take steps)
 * - gcp-lab (gcp, europe-west1, zones x, y): for zone outages (a zone name no other target has);
 *   like Cloud Run, it counts replicas without listing them (`observedAs: 'aggregate'`)
 */
export interface World {
  cloud: MemoryCloud;
  fleet: Fleet;
  store: SqliteStore;
  api: ApiServer;
  server: Listening;
  url: string;
  tokens: Record<TokenRole, string>;
  /**
   * What the deployments' listeners measured, per deployment (the API's traffic source: memory
   * replicas answer no HTTP, so the tests say what a listener would have seen).
   */
  traffic: Map<string, RevisionStats[]>;
  /** The API with a bearer token (as `skyfleet apply` and the remote CLI call it). */
  call(method: string, path: string, body?: unknown, role?: TokenRole): Promise<Response>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  if (!existsSync(join(DASHBOARD, 'index.html'))) {
    throw new Error(`no built dashboard in ${DASHBOARD}: run \`npm run build\` (or npm run build:dashboard) first`);
  }
  const cloud = new MemoryCloud();
  const target = (
    name: string,
    provider: string,
    region: string,
    zones: string[],
    readyAfterSeconds = 0,
    observedAs: 'replica' | 'aggregate' = 'replica',
  ) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', provider, region, zones, readyAfterSeconds, observedAs }),
      { fleet: 'dash' },
      { cloud },
    );
  const providers = [
    target('azure-lab', 'azure', 'westeurope', ['westeurope-1']),
    target('aws-lab', 'aws', 'us-east-1', ['a', 'b'], 1),
    target('gcp-lab', 'gcp', 'europe-west1', ['x', 'y'], 0, 'aggregate'),
  ];
  const store = await SqliteStore.open(':memory:');
  const fleet = createFleet({ name: 'dash', targets: providers, store });
  const traffic = new Map<string, RevisionStats[]>();
  const api = createApiServer({
    fleet,
    store,
    dashboardDir: DASHBOARD,
    feedPollMs: 10,
    rateLimit: { perSecond: 1e6, burst: 1e6 },
    traffic: { has: (name) => traffic.has(name), allStats: (name) => traffic.get(name) ?? [] },
  });
  const server = await listen(api, { host: '127.0.0.1', port: 0 });
  const ac = new AbortController();
  const running = fleet.run({
    signal: ac.signal,
    leaseTtlMs: 2000,
    resyncMs: 300,
    progressRequeueMs: 50,
    domainHealth: { failureThreshold: 2, cooldownMs: 60_000 },
    traffic: false,
  });
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['viewer', 'deployer', 'admin'] as const) {
    tokens[role] = (await createApiToken(store, { role, name: `${role}-token`, now: Date.now() })).token;
  }
  return {
    cloud,
    fleet,
    store,
    api,
    server,
    url: server.url,
    tokens,
    traffic,
    call(method, path, body, role = 'deployer') {
      return fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[role]}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    },
    async close() {
      ac.abort();
      await running.catch(() => undefined);
      await server.close();
      await fleet.close();
      await store.close();
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A new browser context (its own cookies) logged in with a role's token through the login form. */
export async function loggedIn(
  browser: Browser,
  world: Pick<World, 'url' | 'tokens'>,
  role: TokenRole,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(world.url);
  await page.getByLabel('API token').fill(world.tokens[role]);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator(`.who[data-role="${role}"]`).waitFor();
  return { context, page };
}

export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

export const stats = (revision: string, requestsPerSecond: number, errors: number, p99Ms: number): RevisionStats => ({
  revision,
  windowMs: 10_000,
  requests: requestsPerSecond * 10,
  errors,
  retriedAttempts: 0,
  successRate: 1 - errors / (requestsPerSecond * 10),
  p50Ms: p99Ms / 4,
  p99Ms,
  requestsPerSecond,
  concurrency: 1,
});

export const deployment = (
  name: string,
  replicas: number,
  image: string,
  targets: string[],
  extra: Partial<DeploymentInput['spec']> = {},
): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    template: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
    placement: { targets: targets.map((t) => ({ name: t })) },
    ...extra,
  },
});
