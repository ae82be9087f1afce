import { createServer, type Server } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import type { Action } from '../../../src/plan/types.js';
import type { ObservedSlice, ObservedReplica } from '../../../src/provider/provider.js';
import { TrafficManager } from '../../../src/reconcile/traffic-manager.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { freePort } from '../../helpers/traffic/load.js';
import { eventually } from '../../helpers/eventually.js';

const servers: Server[] = [];
let tm: TrafficManager | undefined;
afterEach(async () => {
  await tm?.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** An upstream on 127.0.0.1 whose /health answers `health.status`. */
async function upstream(body: string, health: { status: number }): Promise<number> {
  const s = createServer((req, res) => {
    if (req.url === '/health') res.writeHead(health.status).end('h');
    else res.writeHead(200).end(body);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

/**
 * Deployment `web` with a service on `port` to container port 8080 ("http"); with `admin`, a
 * second port 9090 ("admin") whose /health is the readiness probe.
 */
function web(
  port: number,
  o: {
    admin?: boolean;
    replicas?: number;
    dataPlane?: 'builtin' | 'nginx';
    balancing?: 'least-request' | 'round-robin';
  } = {},
) {
  return parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: o.replicas ?? 1,
      template: {
        containers: [
          {
            name: 'web',
            image: 'x',
            ports: [
              { name: 'http', containerPort: 8080 },
              ...(o.admin ? [{ name: 'admin', containerPort: 9090 }] : []),
            ],
            ...(o.admin
              ? {
                  readinessProbe: {
                    httpGet: { path: '/health', port: 'admin' },
                    periodSeconds: 1,
                    failureThreshold: 1,
                  },
                }
              : {}),
          },
        ],
      },
      service: {
        port,
        targetPort: 'http',
        ...(o.dataPlane ? { dataPlane: o.dataPlane } : {}),
        ...(o.balancing ? { balancing: o.balancing } : {}),
      },
    },
  });
}

/** A ready replica with its app port (8080) and, when given, its admin port (9090) published. */
function replica(id: string, app: number, admin?: number, ordinal?: number): ObservedReplica {
  return {
    id,
    name: id,
    ...(ordinal === undefined ? {} : { ordinal }),
    state: 'ready',
    ready: true,
    endpoints: [
      { host: '127.0.0.1', port: app, containerPort: 8080 },
      ...(admin === undefined ? [] : [{ host: '127.0.0.1', port: admin, containerPort: 9090 }]),
    ],
  };
}

/** One observed slice (revision r1, zone z on target local) of these replicas. */
function slice(replicaStatus: ObservedReplica[]): ObservedSlice[] {
  const n = replicaStatus.length;
  return [
    {
      key: { fleet: 'f', deployment: 'web', revision: 'r1', zone: 'z' },
      target: 'local',
      replicas: n,
      ready: n,
      revision: 'r1',
      replicaStatus,
    },
  ];
}

it('serves a deployment with active health checks from its readiness probe, on the probe port', async () => {
  const port = await freePort();
  const health = { status: 200 };
  const app = await upstream('app', { status: 200 });
  const admin = await upstream('admin', health);
  const d = web(port, { admin: true });
  const observed = slice([replica('c1', app, admin)]);
  expect(TrafficManager.endpointsOf(d, observed)).toEqual([
    { id: 'c1', host: '127.0.0.1', port: app, healthPort: admin, revision: 'r1', target: 'local', zone: 'z' },
  ]);
  tm = new TrafficManager();
  await tm.sync(d, observed, null);
  await eventually(() => tm!.endpoints('web')[0]?.health, {
    message: 'the endpoint checked healthy',
    until: (h) => h === 'ready',
    intervalMs: 25,
  });
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
  health.status = 500;
  await eventually(() => tm!.endpoints('web')[0]?.health, {
    message: 'the endpoint checked unhealthy',
    until: (h) => h === 'unhealthy',
    intervalMs: 25,
  });
});

it('draining replicas before a scale-down leaves the ones that stay untouched (health checked on the probe port)', async () => {
  const port = await freePort();
  const ok = { status: 200 };
  const d = web(port, { admin: true, replicas: 2 });
  const observed = slice([
    replica('c0', await upstream('c0', ok), await upstream('c0-admin', ok), 0),
    replica('c1', await upstream('c1', ok), await upstream('c1-admin', ok), 1),
  ]);
  tm = new TrafficManager();
  await tm.sync(d, observed, null);
  await eventually(() => tm!.endpoints('web').map((e) => e.health), {
    message: 'both endpoints checked healthy',
    until: (h) => h.length === 2 && h.every((x) => x === 'ready'),
    intervalMs: 25,
  });
  const before = tm.endpoints('web').find((e) => e.id === 'c0')!;
  const actions: Action[] = [
    { type: 'scale', target: 'local', zone: 'z', revision: 'r1', from: 2, to: 1, reason: 'scale down' },
  ];
  await tm.drainFor(d, actions, observed, 5_000);
  // the highest ordinal goes; the provider is told exactly which
  expect(actions[0]!.remove).toEqual(['c1']);
  const after = tm.endpoints('web');
  expect(after.map((e) => e.id)).toEqual(['c0']);
  // c0 is the same endpoint as before: still ready and in rotation with its check history
  // (re-adding it would reset it to pending, out of rotation until its next check)
  expect(after[0]).toMatchObject({ health: 'ready', inRotation: true, draining: false });
  expect(after[0]!.checks).toBeGreaterThanOrEqual(before.checks);
  for (let i = 0; i < 5; i++) expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('c0');
});

it('serves a deployment through nginx when service.dataPlane is nginx, and replaces the listener when it changes', async () => {
  const port = await freePort();
  const app = await upstream('app', { status: 200 });
  const spec = (dataPlane: 'builtin' | 'nginx') => web(port, { dataPlane });
  const observed = slice([replica('c1', app)]);
  const get = () =>
    fetch(`http://127.0.0.1:${port}/`).then(
      async (r) => `${r.headers.get('server') ?? 'skyfleet'} ${await r.text()}`,
      () => 'refused',
    );
  tm = new TrafficManager();
  await tm.sync(spec('nginx'), observed, null);
  // nginx answers (its Server header), from the replica, once its reload is live
  await eventually(get, {
    message: 'nginx serving the replica',
    until: (x) => x === 'nginx app',
    intervalMs: 25,
  });
  expect(tm.stats('web', 'r1', 60_000)).toBeDefined();
  await eventually(() => tm!.stats('web', 'r1', 60_000)?.requests ?? 0, {
    message: 'the request counted from the access log',
    until: (n) => n >= 1,
    intervalMs: 25,
  });
  await tm.sync(spec('builtin'), observed, null);
  await eventually(get, {
    message: 'the built-in router serving the replica',
    until: (x) => x === 'skyfleet app',
    intervalMs: 25,
  });
});

it('a target that could not be observed keeps its replicas in rotation until it can be read again', async () => {
  const port = await freePort();
  const d = web(port);
  const app = await upstream('app', { status: 200 });
  const observed = slice([replica('c1', app)]);
  tm = new TrafficManager();
  await tm.sync(d, observed, null);
  expect(tm.endpoints('web').map((e) => e.id)).toEqual(['c1']);
  // the target's API failed this pass: nothing observed there, but it is unknown, not empty
  await tm.sync(d, [], null, undefined, new Set(['local']));
  expect(tm.endpoints('web').map((e) => e.id)).toEqual(['c1']);
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
  // read again and really empty: out of rotation
  await tm.sync(d, [], null, undefined, new Set());
  expect(
    tm
      .endpoints('web')
      .filter((e) => !e.draining)
      .map((e) => e.id),
  ).toEqual([]);
});

it('service.balancing reaches the listener, and a change applies on the same listener', async () => {
  const port = await freePort();
  const fast = await upstream('fast', { status: 200 });
  // 'slow' keeps every request until the test ends
  const held: Array<() => void> = [];
  const s = createServer((_req, res) => held.push(() => res.writeHead(200).end('slow')));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const slow = (s.address() as { port: number }).port;
  const observed = slice([replica('c1', slow, undefined, 0), replica('c2', fast, undefined, 1)]);
  tm = new TrafficManager();
  await tm.sync(web(port, { replicas: 2, balancing: 'least-request' }), observed, null);
  const pending: Array<Promise<unknown>> = [];
  try {
    const answered: string[] = [];
    /** One request, until it is answered or held by the busy replica. */
    const send = async (i: number) => {
      const before = held.length;
      let done = false;
      pending.push(
        fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.text())
          .then((t) => {
            done = true;
            answered.push(t);
          }),
      );
      await eventually(() => done || held.length > before, { message: `request ${i} answered or held` });
    };
    // least-request: once the busy replica holds one, everything goes to the other
    for (let i = 0; i < 4; i++) await send(i);
    expect(held.length).toBe(1);
    expect(answered).toEqual(['fast', 'fast', 'fast']);
    // the same deployment without balancing: round robin, the default, on the listener already there
    for (let i = 4; i < 8; i++) await send(i);
    expect(held.length).toBe(1);
    await tm.sync(web(port, { replicas: 2 }), observed, null);
    for (let i = 8; i < 12; i++) await send(i);
    // the busy replica gets every other request again
    expect(held.length).toBe(3);
    expect(answered.filter((a) => a === 'fast')).toHaveLength(9);
  } finally {
    for (const release of held.splice(0)) release();
    await Promise.allSettled(pending);
  }
});
