import { createServer, type Server } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import type { ObservedSlice } from '../../../src/provider/provider.js';
import { TrafficManager } from '../../../src/reconcile/traffic-manager.js';
import { parseDeployment } from '../../../src/spec/load.js';
import { freePort } from '../../helpers/traffic/load.js';
import { eventually } from '../../helpers/until.js';

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

it('serves a deployment with active health checks from its readiness probe, on the probe port', async () => {
  const port = await freePort();
  const health = { status: 200 };
  const app = await upstream('app', { status: 200 });
  const admin = await upstream('admin', health);
  const d = parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      template: {
        containers: [
          {
            name: 'web',
            image: 'x',
            ports: [
              { name: 'http', containerPort: 8080 },
              { name: 'admin', containerPort: 9090 },
            ],
            readinessProbe: { httpGet: { path: '/health', port: 'admin' }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
      service: { port, targetPort: 'http' },
    },
  });
  const observed: ObservedSlice[] = [
    {
      key: { fleet: 'f', deployment: 'web', revision: 'r1', zone: 'z' },
      target: 'local',
      replicas: 1,
      ready: 1,
      revision: 'r1',
      replicaStatus: [
        {
          id: 'c1',
          name: 'c1',
          state: 'ready',
          ready: true,
          endpoints: [
            { host: '127.0.0.1', port: app, containerPort: 8080 },
            { host: '127.0.0.1', port: admin, containerPort: 9090 },
          ],
        },
      ],
    },
  ];
  expect(TrafficManager.endpointsOf(d, observed)).toEqual([
    { id: 'c1', host: '127.0.0.1', port: app, healthPort: admin, revision: 'r1', target: 'local', zone: 'z' },
  ]);
  tm = new TrafficManager();
  await tm.sync(d, observed, null);
  await eventually(
    'the endpoint checked healthy',
    () => tm!.endpoints('web')[0]?.health,
    (h) => h === 'ready',
    5_000,
  );
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
  health.status = 500;
  await eventually(
    'the endpoint checked unhealthy',
    () => tm!.endpoints('web')[0]?.health,
    (h) => h === 'unhealthy',
    5_000,
  );
});
