import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { type RunningSkyfleet, skyfleetWith, spawnSkyfleet } from '../helpers/cli.js';
import { cleanupRun, ensureWebImage, newTestRun, testDocker } from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';
import { freePort, startLoad } from '../helpers/traffic/load.js';
import { removeExampleContainers } from './example-script.js';

// A rolling update on a cloud behind skyfleet's load balancer, as a user runs it: `skyfleet
// emulate` stands in for the cloud, `skyfleet controller` balances over its replicas, and
// `skyfleet apply` of a new image replaces 4 replicas over the cloud's zones one at a time while a
// load runs: no request fails, and once it is over only the new version answers.
// - AWS ECS: each task a local container published on 127.0.0.1, its port reported as the task's
//   network binding;
// - Azure ACI: each container group's container a local container; the target's dataPlaneAddress
//   reaches the groups through the stand-in's TLS front by their FQDNs (a real group has its own
//   public IP at its container port; here every group shares 127.0.0.1).

const run = newTestRun();
const FLEET = run.fleet('cloudroll');
let docker: Docker;
let dir: string;
const running: RunningSkyfleet[] = [];

beforeAll(async () => {
  docker = await testDocker();
  await Promise.all([ensureWebImage(docker, '1'), ensureWebImage(docker, '2')]);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-cloud-roll-'));
});

// each case's deployment, controller and stand-in go before the next case starts
afterEach(async () => {
  await skyfleetWith({}, dir, '--config', join(dir, 'skyfleet.yaml'), 'delete', 'web').catch(() => undefined);
  for (const p of running.splice(0).reverse()) {
    p.child.kill('SIGINT');
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000))]);
    p.child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await cleanupRun(docker, run);
  // the stand-in's replicas and, in the hybrid case, the local Docker target's containers
  await removeExampleContainers(docker, FLEET);
});

const web = (version: string, lb: number, targets: string) => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  template:
    containers:
      - name: web
        image: skyfleet-test/web:${version}
        ports: [{ name: http, containerPort: 8080 }]
        readinessProbe: { httpGet: { path: /version, port: http }, periodSeconds: 1 }
        resources: { cpu: "1", memory: 2Gi }
  placement:
    targets: ${targets}
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  service: { port: ${lb}, targetPort: http }
`;

it.each([
  { cloud: 'ECS', flag: '--aws', targets: '[{ name: aws }]', local: false },
  { cloud: 'ACI', flag: '--azure', targets: '[{ name: azure }]', local: false },
  // hybrid: 2 replicas on this machine's Docker engine, 2 on emulated ACI, one load balancer
  {
    cloud: 'ACI and local Docker',
    flag: '--azure',
    targets: '[{ name: local, min: 2 }, { name: azure }]',
    local: true,
  },
])(
  'a rolling update on emulated $cloud through the load balancer fails no request',
  { timeout: 240_000 },
  async ({ flag, targets, local }) => {
    const [api, dataPlane, lb, metrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const emulate = spawnSkyfleet(
      { SKYFLEET_EMULATE_ID: FLEET },
      dir,
      'emulate',
      flag,
      '--listen',
      `127.0.0.1:${api}`,
      '--data-plane-port',
      String(dataPlane),
      '--state-dir',
      join(dir, 'emulate'),
    );
    running.push(emulate);
    await eventually(() => /^ready$/m.test(emulate.stdout()) || emulate.code() !== undefined, {
      timeoutMs: 60_000,
      message: 'skyfleet emulate ready',
    });
    expect(emulate.code(), emulate.stderr()).toBeUndefined();
    const config = join(dir, 'skyfleet.yaml');
    writeFileSync(
      config,
      `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: ${FLEET} }\nstore: { path: ${join(dir, 'state.db')} }\ntargets:\n${local ? '  - { name: local, kind: docker, zone: this-machine }\n' : ''}${readFileSync(join(dir, 'emulate', 'targets.yaml'), 'utf8')}`,
    );
    const sf = (...args: string[]) => skyfleetWith({}, dir, '--config', config, ...args);
    writeFileSync(join(dir, 'web.yaml'), web('1', lb, targets));
    const first = await sf('apply', '-f', join(dir, 'web.yaml'));
    expect(first.code, first.stderr).toBe(0);

    const controller = spawnSkyfleet(
      {},
      dir,
      '--config',
      config,
      'controller',
      '--metrics-address',
      `127.0.0.1:${metrics}`,
    );
    running.push(controller);
    // on a timeout the message shows what the load balancer answered and the controller's last lines
    const tail = (text: string) => text.trim().split('\n').slice(-6).join('\n');
    await eventually(
      async () => {
        const one = await startLoad(lb, {
          path: '/version',
          concurrency: 1,
          maxRequests: 1,
          expectBodies: ['1'],
        }).stop();
        return {
          version1: one.bodies.get('1') ?? 0,
          failures: one.failures.slice(0, 2),
          controllerOut: tail(controller.stdout()),
          controllerErr: tail(controller.stderr()),
        };
      },
      {
        until: (v) => v.version1 === 1,
        timeoutMs: 60_000,
        intervalMs: 200,
        message: `the load balancer on 127.0.0.1:${lb} answers version 1`,
      },
    );
    const load = startLoad(lb, { path: '/version', concurrency: 4, expectBodies: ['1', '2'] });
    await eventually(() => load.result.requests > 50, { timeoutMs: 60_000, message: '50 requests before the update' });

    writeFileSync(join(dir, 'web.yaml'), web('2', lb, targets));
    const second = await sf('apply', '-f', join(dir, 'web.yaml'));
    expect(second.code, second.stderr).toBe(0);
    // every task of the deployment runs version 2, and the old ones are gone from ECS
    await eventually(
      async () => {
        const got = await sf('get', '-o', 'json');
        const [d] = JSON.parse(got.stdout) as Array<{
          ready: number;
          upToDate: number;
          domains: Array<{ old: number }>;
        }>;
        return d?.upToDate === 4 && d.ready === 4 && d.domains.every((x) => x.old === 0);
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'the rollout to version 2 complete' },
    );
    load.mark();
    await eventually(() => (load.sinceMark().bodies.get('2') ?? 0) > 50, {
      timeoutMs: 60_000,
      message: '50 answers from version 2 after the rollout',
    });
    const after = load.sinceMark();
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.bodies.get('1')).toBeGreaterThan(50);
    expect(result.bodies.get('2')).toBeGreaterThan(50);
    expect(after.bodies.get('1') ?? 0).toBe(0);
    if (local) {
      // the one load balancer sent requests to both: the local containers and the ACI groups
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      const served = (target: string) =>
        [...text.matchAll(new RegExp(`^skyfleet_router_requests_total\\{[^}]*target="${target}"[^}]*\\} (\\d+)`, 'gm'))]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0);
      expect(served('local')).toBeGreaterThan(20);
      expect(served('azure')).toBeGreaterThan(20);
    }
  },
);
