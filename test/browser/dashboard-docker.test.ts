import type Docker from 'dockerode';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/fleet.js';
import { createApiServer, createApiToken, type Listening, listen } from '../../src/server/index.js';
import type { TokenRole } from '../../src/store/api-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { cleanupRun, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { artifact, DASHBOARD, deployment, launch, loggedIn } from './harness.js';

// The dashboard over a real Docker engine: an apply of 3 replicas (through the API, as `skyfleet
// apply` against a server does) shows as 3 ready replicas in the Docker target's zone. Run it alone
// on a shared machine: flock /tmp/skyfleet-docker.lock npx vitest run --project browser test/browser/dashboard-docker.test.ts

const run = newTestRun();
const FLEET = run.fleet('dash');
let docker: Docker;
let store: SqliteStore;
let fleet: Fleet;
let server: Listening;
let browser: Browser;
const ac = new AbortController();
let controller: Promise<void> | undefined;
const tokens = {} as Record<TokenRole, string>;

beforeAll(async () => {
  docker = await testDocker();
  await ensureWebImage(docker, '1');
  store = await SqliteStore.open(':memory:');
  fleet = createFleet({ name: FLEET, targets: [{ name: 'local', kind: 'docker' }], store });
  const api = createApiServer({ fleet, store, dashboardDir: DASHBOARD, feedPollMs: 10 });
  server = await listen(api, { host: '127.0.0.1', port: 0 });
  controller = fleet.run({ signal: ac.signal, leaseTtlMs: 2000, resyncMs: 500, traffic: false });
  for (const role of ['viewer', 'deployer', 'admin'] as const) {
    tokens[role] = (await createApiToken(store, { role, name: `${role}-token`, now: Date.now() })).token;
  }
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  ac.abort();
  await controller?.catch(() => undefined);
  await server?.close();
  await fleet?.delete('web').catch(() => undefined);
  await fleet?.close();
  await store?.close();
  if (docker) {
    await cleanupRun(docker, run);
    for (const c of await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
});

describe('the dashboard over Docker', () => {
  it('shows 3 ready replicas in the Docker zone within seconds of an apply of 3', async () => {
    const targets = (await (
      await fetch(`${server.url}/api/v1/targets`, { headers: { authorization: `Bearer ${tokens.viewer}` } })
    ).json()) as { items: Array<{ target: string; topology: { zones: string[] } }> };
    const zone = targets.items[0]!.topology.zones[0]!;
    const { context, page } = await loggedIn(browser, { url: server.url, tokens }, 'viewer');
    await page.getByRole('heading', { name: 'Cloud: docker', exact: true }).waitFor();
    const d = deployment('web', 3, 'skyfleet-test/web:1', ['local']);
    d.metadata.labels = { ...run.labels };
    d.spec.template.containers[0]!.readinessProbe = { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 };
    const res = await fetch(`${server.url}/api/v1/deployments?wait=false`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.deployer}`, 'content-type': 'application/json' },
      body: JSON.stringify(d),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await page
      .locator(`[data-zone="local/${zone}"] .slice[data-deployment="web"] [data-count-state="ready"][data-count="3"]`)
      .waitFor({ timeout: 15_000 });
    await page.screenshot({ path: artifact('dashboard-docker-map.png'), fullPage: true });
    await context.close();
  });
});
