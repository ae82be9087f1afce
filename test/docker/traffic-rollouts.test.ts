import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/fleet.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { buildFromContext, BUSYBOX, cleanupRun, DOCKER_POLL, newTestRun, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';
import { tar } from '../helpers/docker/tar.js';
import { freePort, startLoad } from '../helpers/traffic/load.js';

// Traffic through the controller's listener during rollouts, on a real Docker engine. Every
// request goes to 127.0.0.1 only; every container carries this run's label and is removed after.

const run = newTestRun();
const FLEET = run.fleet('traffic');
let docker: Docker;
let fleet: Fleet;
let stopController: () => Promise<void>;
let port: number;

/** An image whose GET /cgi-bin/version answers `version` (200), or 500 when version is "bad". */
async function appImage(version: string): Promise<string> {
  const tag = `skyfleet-test/app:${version}`;
  const script =
    version === 'bad'
      ? '#!/bin/sh\necho "Status: 500 Internal Server Error"\necho "Content-Type: text/plain"\necho\necho bad\n'
      : `#!/bin/sh\necho "Content-Type: text/plain"\necho\necho ${version}\n`;
  const applets = ['sh', 'httpd', 'wget', 'echo'];
  await buildFromContext(
    docker,
    tar([
      {
        type: 'file',
        path: 'Dockerfile',
        content: `FROM scratch\nCOPY bin /bin\nCOPY www /www\nLABEL skyfleet.test/image="${version}"\nCMD ["sh", "-c", "trap \\"exit 0\\" TERM; httpd -f -p 8080 -h /www & wait"]\n`,
      },
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', content: (await import('node:fs')).readFileSync(BUSYBOX), mode: 0o755 },
      ...applets.map((a) => ({ type: 'symlink' as const, path: `bin/${a}`, target: 'busybox' })),
      { type: 'dir', path: 'www' },
      { type: 'file', path: 'www/index.html', content: 'ok\n' },
      { type: 'dir', path: 'www/cgi-bin' },
      { type: 'file', path: 'www/cgi-bin/version', content: script, mode: 0o755 },
    ]),
    tag,
  );
  return tag;
}

const app = (
  image: string,
  strategy: DeploymentInput['spec']['strategy'],
  replicas = 3,
  targets = [{ name: 'local' }],
  dataPlane: 'builtin' | 'nginx' = 'builtin',
): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'app', labels: run.labels },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'app',
          image,
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    },
    placement: { targets },
    strategy,
    service: { port, targetPort: 'http', dataPlane },
  },
});

const rolling = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };

async function servedVersions(): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++)
    seen.add(await (await fetch(`http://127.0.0.1:${port}/cgi-bin/version`)).text().then((t) => t.trim()));
  return seen;
}

/** Waits until the listener serves `version` only. */
async function onlyServed(version: string): Promise<void> {
  await eventually(
    async () => {
      const v = await servedVersions();
      return v.size === 1 && v.has(version);
    },
    { ...DOCKER_POLL, message: `only ${version} served` },
  );
}

const canary20 = {
  type: 'Canary' as const,
  canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] },
};

/**
 * Starts a canary (20%, pause, 100%) of `deployment`, checks the share of `version` within 3
 * points over 2,000 requests of `load` while it pauses, promotes it and waits until only
 * `version` is served.
 */
async function canaryHoldsThenPromotes(
  deployment: DeploymentInput,
  version: string,
  load: ReturnType<typeof startLoad>,
): Promise<void> {
  await fleet.apply(deployment, { wait: false });
  await eventually(async () => (await fleet.rollout.status('app')).state?.phase === 'Paused', {
    ...DOCKER_POLL,
    message: 'paused at 20%',
    timeoutMs: 60_000,
  });
  load.mark();
  await eventually(async () => load.sinceMark().requests >= 2_000, {
    ...DOCKER_POLL,
    message: '2,000 requests at 20%',
    timeoutMs: 60_000,
  });
  const at20 = load.sinceMark();
  expect(Math.abs((at20.bodies.get(version) ?? 0) / (at20.requests - at20.failed) - 0.2)).toBeLessThanOrEqual(0.03);
  await fleet.rollout.promote('app');
  await eventually(async () => (await fleet.rollout.status('app')).state?.phase === 'Completed', {
    ...DOCKER_POLL,
    message: 'completed',
    timeoutMs: 60_000,
  });
  await onlyServed(version);
}

beforeAll(async () => {
  docker = await testDocker();
  await Promise.all(['v1', 'v2', 'v3', 'bad'].map(appImage));
  port = await freePort();
  fleet = createFleet({
    name: FLEET,
    targets: [
      { name: 'local', kind: 'docker' },
      { name: 'local2', kind: 'docker' },
    ],
    store: ':memory:',
  });
  const ac = new AbortController();
  const running = fleet.run({
    signal: ac.signal,
    leaseTtlMs: 5_000,
    resyncMs: 2_000,
    progressRequeueMs: 100,
    drainTimeoutMs: 5_000,
  });
  stopController = async () => {
    ac.abort();
    await running;
  };
  await eventually(async () => (await fleet.events()).some((e) => e.reason === 'LeaderElected'), {
    ...DOCKER_POLL,
    message: 'the controller leads',
  });
  // the first deploy: rolling, through the controller
  await fleet.apply(app('skyfleet-test/app:v1', rolling), { timeoutMs: 60_000 });
  await eventually(async () => (await servedVersions()).has('v1'), {
    ...DOCKER_POLL,
    message: 'the listener serving v1',
    timeoutMs: 30_000,
  });
}, 180_000);

afterAll(async () => {
  await stopController?.();
  await fleet?.close();
  await cleanupRun(docker, run);
  for (const c of await docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

describe('traffic through rollouts (real Docker, load on 127.0.0.1)', () => {
  it('a rolling update drops no request', async () => {
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v1', 'v2'] });
    await fleet.apply(app('skyfleet-test/app:v2', rolling), { timeoutMs: 90_000 });
    await onlyServed('v2');
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.requests).toBeGreaterThan(200);
    expect(r.bodies.get('v1')).toBeGreaterThan(0);
    expect(r.bodies.get('v2')).toBeGreaterThan(0);
  });

  it('a canary holds its weight within 3 points over 2,000 requests, then goes to 100% without a failed request', async () => {
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v2', 'v3'] });
    await canaryHoldsThenPromotes(app('skyfleet-test/app:v3', canary20), 'v3', load);
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
  });

  it('a canary that answers 500 is rolled back by its analysis, with failures below what the analysis allows', async () => {
    const canary = {
      type: 'Canary' as const,
      canary: {
        steps: [
          { setWeight: 5 },
          { analysis: { successRate: '>= 0.95', window: '2s', minRequests: 10 } },
          { setWeight: 100 },
        ],
      },
    };
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v3'] });
    await fleet.apply(app('skyfleet-test/app:bad', canary), { wait: false });
    const st = await eventually(
      async () => {
        const s = (await fleet.rollout.status('app')).state;
        return s?.phase === 'Aborted' ? s : false;
      },
      { ...DOCKER_POLL, message: 'rolled back', timeoutMs: 60_000 },
    );
    expect(st.message).toMatch(/analysis failed at step 2: success rate .* misses >= 0.95; rolled back to/);
    await eventually(
      async () => {
        const v = await servedVersions();
        return v.size === 1 && v.has('v3');
      },
      { ...DOCKER_POLL, message: 'only v3 served again' },
    );
    const r = await load.stop();
    expect(r.failed).toBeGreaterThan(0); // the canary really failed
    expect(r.failed / r.requests).toBeLessThan(0.05);
    const events = await fleet.events({ deployment: 'app', limit: 200 });
    expect(events.some((e) => e.reason === 'AnalysisFailed')).toBe(true);
    // back on a good spec
    await fleet.apply(app('skyfleet-test/app:v3', rolling), { timeoutMs: 60_000 });
  });

  it('blue-green: the preview serves the new revision; promote switches all traffic at once without a failed request', async () => {
    const preview = await freePort();
    const bg = { type: 'BlueGreen' as const, blueGreen: { scaleDownDelaySeconds: 2, autoPromote: false } };
    const d = app('skyfleet-test/app:v1', bg);
    d.spec.service = { port, targetPort: 'http', previewPort: preview };
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v3', 'v1'] });
    await fleet.apply(d, { wait: false });
    await eventually(async () => (await fleet.rollout.status('app')).state?.phase === 'Paused', {
      ...DOCKER_POLL,
      message: 'green ready, waiting for promote',
      timeoutMs: 60_000,
    });
    expect(await (await fetch(`http://127.0.0.1:${preview}/cgi-bin/version`)).text()).toContain('v1');
    expect(await servedVersions()).toEqual(new Set(['v3']));
    await fleet.rollout.promote('app');
    await eventually(
      async () => {
        const v = await servedVersions();
        return v.size === 1 && v.has('v1');
      },
      { ...DOCKER_POLL, message: 'all traffic on green' },
    );
    await eventually(async () => (await fleet.rollout.status('app')).state?.phase === 'Completed', {
      ...DOCKER_POLL,
      message: 'blue scaled down',
      timeoutMs: 30_000,
    });
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
  });

  it("a replica stopped behind skyfleet's back mid-load is absorbed by ejection and retry", async () => {
    await fleet.apply(app('skyfleet-test/app:v2', rolling), { timeoutMs: 90_000 });
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v2'] });
    await eventually(async () => load.result.requests > 100, {
      ...DOCKER_POLL,
      message: 'some traffic',
    });
    const [victim] = await docker.listContainers({
      filters: { label: [`skyfleet.dev/fleet=${FLEET}`, 'skyfleet.dev/deployment=app'] },
    });
    await docker.getContainer(victim!.Id).stop({ t: 0 });
    const at = load.result.requests;
    await eventually(async () => load.result.requests > at + 300, {
      ...DOCKER_POLL,
      message: '300 more requests',
    });
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
  });

  it('migrates between two Docker targets without a failed request', async () => {
    const load = startLoad(port, { path: '/cgi-bin/version', expectBodies: ['v2'] });
    await fleet.migrate('app', { to: ['local2'] }, { timeoutMs: 90_000 });
    const status = await fleet.status('app');
    expect(status.slices.every((s) => s.target === 'local2')).toBe(true);
    expect(status.ready).toBe(3);
    const more = load.result.requests;
    await eventually(async () => load.result.requests > more + 100, {
      ...DOCKER_POLL,
      message: 'traffic after the move',
    });
    const r = await load.stop();
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect((await fleet.events({ deployment: 'app', limit: 300 })).map((e) => e.reason)).toContain(
      'MigrationCompleted',
    );
  });

  it('the nginx data plane (service.dataPlane: nginx): a rolling update and a canary drop no request', async () => {
    const onNginx = (image: string, strategy: DeploymentInput['spec']['strategy']) =>
      app(image, strategy, 3, [{ name: 'local2' }], 'nginx');
    // the same listener port, now an nginx the controller runs and reconfigures
    await fleet.apply(onNginx('skyfleet-test/app:v2', rolling), { timeoutMs: 90_000 });
    // (a new listener answers 503 until the replicas pass their first health check through it)
    await eventually(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/cgi-bin/version`).catch(() => null);
        return r?.ok === true && r.headers.get('server')?.startsWith('nginx') === true;
      },
      { ...DOCKER_POLL, message: 'nginx serving the replicas' },
    );
    // Each change reloads nginx, whose old workers close the client connections they hold
    // idle: a request sent on one at that moment sees its connection close before any response,
    // which RFC 9112 (9.3.1) lets a client retry (idempotent requests) on a new connection. This
    // load does, once; Node's Agent alone does not (README: the nginx data plane's trade-off).
    const load = startLoad(port, {
      path: '/cgi-bin/version',
      retryClosedEarly: true,
      expectBodies: ['v1', 'v2', 'v3'],
    });
    await fleet.apply(onNginx('skyfleet-test/app:v1', rolling), { timeoutMs: 90_000 });
    await onlyServed('v1');
    await canaryHoldsThenPromotes(onNginx('skyfleet-test/app:v3', canary20), 'v3', load);
    const r = await load.stop();
    console.log(
      `nginx data plane: ${r.requests} requests, ${r.failed} failed, ${r.closedEarly} met a connection a reload closed (retried)`,
    );
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.bodies.get('v1')).toBeGreaterThan(0);
  });
});
