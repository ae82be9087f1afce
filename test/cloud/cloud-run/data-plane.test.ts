/**
 * Reaching what runs on Cloud Run. A service's endpoint is `https://<service>.a.run.app`: the
 * emulator serves its data plane on 127.0.0.1 over TLS with a certificate for `*.a.run.app` from a
 * test CA, answers 404 for a Host that names no service and 403 when the service keeps the invoker
 * IAM check and the caller has no identity token (see test/emulators/cloud-run/data-plane.ts).
 * skyfleet's router reaches it as Cloud Run must be reached: TLS with SNI and the service's Host
 * (not the client's), the certificate verified against the CA it is told to trust, and the active
 * health check over HTTPS too; a rolling update through it fails no request.
 */
import { request } from 'node:https';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CloudRunProvider, serviceId } from '../../../providers/gcp-cloud-run/index.js';
import {
  type GcpCloudRunTargetSettingsInput,
  gcpCloudRunTargetSettings,
} from '../../../providers/gcp-cloud-run/settings.js';
import { replicaRows } from '../../../src/cli/replica-rows.js';
import { silentLogger } from '../../../src/log/logger.js';
import { Controller } from '../../../src/reconcile/controller.js';
import { IdentityTokens } from '../../../src/reconcile/identity-tokens.js';
import { TrafficManager } from '../../../src/reconcile/traffic-manager.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { systemClock } from '../../../src/util/clock.js';
import {
  type CloudRunDataPlane,
  type DataPlaneAddress,
  runHarness,
  steppingClock,
} from '../../emulators/cloud-run/index.js';
import { fakeAuthClient } from '../../emulators/cloud-run/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { recordSpec, storeWith } from '../../helpers/store.js';
import { otherCa, testCa } from '../../helpers/tls/index.js';
import { freePort, startLoad } from '../../helpers/traffic/load.js';

const FLEET = 'reach';
let dataPlane_: CloudRunDataPlane;
let address: DataPlaneAddress;
const h = runHarness({ fleet: FLEET });

beforeAll(async () => {
  nock.disableNetConnect();
  // the data plane and the router listen on 127.0.0.1; nothing else is reachable
  nock.enableNetConnect('127.0.0.1');
  ({ dataPlane: dataPlane_, address } = await h.emulator.serveDataPlane());
});
afterAll(async () => {
  await dataPlane_.stop();
  h.close();
  nock.enableNetConnect();
});
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
});

const deployment = (
  name: string,
  image: string,
  replicas: number,
  port?: number,
  dataPlane: 'builtin' | 'nginx' = 'builtin',
): DeploymentInput => ({
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
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '1', memory: '512Mi' },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
        },
      ],
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...(port ? { service: { port, targetPort: 'http', dataPlane } } : {}),
  },
});

function sliceOf(input: DeploymentInput): DesiredSlice {
  const d = parseDeployment(input);
  return {
    key: { fleet: FLEET, deployment: d.metadata.name, revision: revisionOf(d.spec.template), zone: 'us-central1' },
    replicas: d.spec.replicas,
    template: d.spec.template,
  };
}

/** One HTTPS GET to the data plane, as the service named `serverName`. */
function get(
  serverName: string,
  options: { host?: string; ca?: string; authorization?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address.host,
        port: address.port,
        path: '/',
        servername: serverName,
        ca: options.ca ?? testCa,
        headers: {
          host: options.host ?? serverName,
          ...(options.authorization ? { authorization: options.authorization } : {}),
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A provider for another target over the same emulator (its own settings, same project). */
function providerWith(target: Partial<GcpCloudRunTargetSettingsInput>): CloudRunProvider {
  const settings = gcpCloudRunTargetSettings.parse({ ...h.settings, ...target });
  return new CloudRunProvider(
    settings,
    { fleet: FLEET },
    {
      authClient: fakeAuthClient(),
      clock: steppingClock(h.clock),
      retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 2000 },
    },
  );
}

/** Requests the data plane has refused with this status so far. */
const refusedNow = (status: number) => dataPlane_.refused.get(status) ?? 0;

function hostOf(deploymentName: string, target = 'gcr'): string {
  const id = serviceId(FLEET, target, deploymentName);
  const s = h.emulator.services.get(`projects/${h.settings.project}/locations/${h.settings.region}/services/${id}`);
  if (!s) throw new Error(`no service ${id}`);
  return new URL(s.uri).hostname;
}

it('serves a service by its host over TLS; 404 for a host that names none; an untrusted CA is refused', async () => {
  const p = h.provider();
  await p.apply(sliceOf(deployment('hello', 'gcr.io/p/hello:1', 2)));
  const [slice] = await p.observe({ fleet: FLEET, deployment: 'hello' });
  const host = hostOf('hello');
  expect(host).toMatch(new RegExp(`^${serviceId(FLEET, 'gcr', 'hello')}-[0-9a-f]+\\.a\\.run\\.app$`));
  // the endpoint names the service (TLS and Host) and, without dataPlaneAddress, its own host on 443
  expect(slice?.replicaStatus[0]?.endpoints[0]).toMatchObject({
    host,
    port: 443,
    serverName: host,
    url: `https://${host}`,
  });
  // Cloud Run lists no instances: the slice says its replicas are counted, not observed, and
  // describe shows one row for it, not two made-up replicas
  expect(slice).toMatchObject({ observedAs: 'aggregate', replicas: 2, ready: 2 });
  expect(slice?.detail).toMatch(/keeps 2 instances of revision .* instances are not listed by its API/);
  expect(replicaRows([slice!])).toEqual([
    [
      '(2/2 ready, counted by the platform)',
      'gcr/us-central1',
      slice!.key.revision,
      'ready',
      `${host}:443`,
      slice!.detail!.slice(0, 80),
    ],
  ]);
  // through dataPlaneAddress: the same name, another address
  const [via] = await providerWith({ dataPlaneAddress: `127.0.0.1:${address.port}` }).observe({
    fleet: FLEET,
    deployment: 'hello',
  });
  expect(via?.replicaStatus[0]?.endpoints[0]).toMatchObject({
    host: '127.0.0.1',
    port: address.port,
    serverName: host,
  });

  const ok = await get(host);
  expect(ok.status).toBe(200);
  expect(ok.body).toBe(`${serviceId(FLEET, 'gcr', 'hello')}-${slice?.key.revision}`);
  expect((await get(host, { host: 'nosuch-abc.a.run.app' })).status).toBe(404);
  await expect(get(host, { ca: otherCa })).rejects.toThrow(/certificate/i);
});

it('a public service is invocable by anyone; with allowUnauthenticated false it keeps the invoker check: 403 without a token, and no public endpoints', async () => {
  const open = h.provider();
  expect(open.describe().capabilities.publicEndpoints).toBe(true);
  await open.apply(sliceOf(deployment('open', 'gcr.io/p/open:1', 1)));
  expect((await get(hostOf('open'))).status).toBe(200);

  const closed = providerWith({ name: 'gcr-private', allowUnauthenticated: false });
  expect(closed.describe().capabilities.publicEndpoints).toBe(false);
  await closed.apply(sliceOf(deployment('closed', 'gcr.io/p/closed:1', 1)));
  const host = hostOf('closed', 'gcr-private');
  expect((await get(host)).status).toBe(403);
  expect((await get(host, { authorization: 'Bearer id-token' })).status).toBe(200);
  // turning it on later is an update of the same service, and the check goes
  const mark = h.emulator.log.mark();
  await providerWith({ name: 'gcr-private' }).apply(sliceOf(deployment('closed', 'gcr.io/p/closed:1', 1)));
  expect(h.emulator.log.writes(mark).map((e) => e.operation)).toEqual(['services.patch']);
  expect((await get(host)).status).toBe(200);
});

// An identity token as Cloud Run's invoker check takes it (a JWT; the emulator checks presence only).
const ID_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.c2ln`;

it.each([
  ['builtin', "skyfleet's router", 'public'],
  ['nginx', 'the nginx data plane', 'public'],
  ['builtin', "skyfleet's router", 'private'],
  ['nginx', 'the nginx data plane', 'private'],
] as const)(
  '%s: %s serves a %s Cloud Run deployment over TLS (private: each request and check with an identity token), and a rolling update through it fails no request',
  {
    timeout: 120_000,
  },
  async (dataPlane, _what, access) => {
    const port = await freePort();
    // a deployment of its own per case: each starts from nothing on the emulated Cloud Run
    const name = `web-${dataPlane}-${access}`;
    const v1 = parseDeployment(deployment(name, 'gcr.io/p/web:1', 3, port, dataPlane));
    const v2 = parseDeployment(deployment(name, 'gcr.io/p/web:2', 3, port, dataPlane));
    const id = serviceId(FLEET, 'gcr', name);
    const [rev1, rev2] = [v1, v2].map((d) => `${id}-${revisionOf(d.spec.template)}`) as [string, string];
    const store = await storeWith(v1);
    // private: the service keeps its invoker check, and the load balancer sends an identity token
    const provider = providerWith({
      dataPlaneAddress: `127.0.0.1:${address.port}`,
      ...(access === 'private' ? { allowUnauthenticated: false, identityToken: ID_TOKEN } : {}),
    });
    const providers = new Map([[provider.target, provider]]);
    const refused403 = refusedNow(403);
    dataPlane_.identities.clear();
    const controller = new Controller(
      {
        fleet: FLEET,
        providers,
        store,
        clock: systemClock,
        logger: silentLogger,
        secrets: () => undefined,
      },
      {
        leaseTtlMs: 3_000,
        resyncMs: 300,
        progressRequeueMs: 30,
        minObserveIntervalMs: 0,
        // the router trusts the CA that signed the stand-in's *.a.run.app certificate
        traffic: new TrafficManager(
          undefined,
          { upstreamTls: { ca: testCa } },
          new IdentityTokens(providers, systemClock),
        ),
      },
    );
    // emulated Cloud Run time runs 25x faster than the test's
    const ticker = setInterval(() => h.clock.advance(500), 20);
    const ac = new AbortController();
    const running = controller.run(ac.signal);
    const poll = { timeoutMs: 60_000, intervalMs: 25 };
    try {
      // the client says Host 127.0.0.1:port; Cloud Run serves only its own name (404 otherwise)
      const first = startLoad(port, { path: '/', concurrency: 1, maxRequests: 1 });
      await eventually(
        async () => {
          const one = startLoad(port, { path: '/', concurrency: 1, maxRequests: 1 });
          const r = await one.stop();
          return r.bodies.get(rev1) === 1;
        },
        { ...poll, message: `the router answers with ${rev1}` },
      );
      await first.stop();
      const load = startLoad(port, { path: '/', concurrency: 4, expectBodies: [rev1, rev2] });
      await eventually(() => load.result.requests > 50, { ...poll, message: '50 requests before the update' });
      await recordSpec(store, v2);
      const svc = () =>
        h.emulator.services.get(`projects/${h.settings.project}/locations/${h.settings.region}/services/${id}`);
      await eventually(
        async () => {
          const routing = svc()?.routing ?? [];
          const slices = await provider.observe({ fleet: FLEET, deployment: name });
          return (
            routing.length === 1 &&
            routing[0]?.revision === rev2 &&
            routing[0]?.percent === 100 &&
            slices.length === 1 &&
            slices[0]?.ready === 3
          );
        },
        { ...poll, message: `all traffic on ${rev2}` },
      );
      load.mark();
      await eventually(() => (load.sinceMark().bodies.get(rev2) ?? 0) > 50, {
        ...poll,
        message: `50 answers from ${rev2} after the rollout`,
      });
      const after = load.sinceMark();
      const result = await load.stop();
      expect(result.failures).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.bodies.get(rev1)).toBeGreaterThan(50);
      expect(result.bodies.get(rev2)).toBeGreaterThan(50);
      // once the rollout is over, only the new revision answers
      expect(after.bodies.get(rev1) ?? 0).toBe(0);
      // a private service refused nothing: every request and check carried the token
      expect(refusedNow(403)).toBe(refused403);
      if (access === 'private') expect([...dataPlane_.identities]).toEqual([ID_TOKEN]);
    } finally {
      clearInterval(ticker);
      ac.abort();
      await running;
      await store.close();
    }
  },
);
