import { readFileSync } from 'node:fs';
import http from 'node:http';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/fleet.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import {
  BUSYBOX,
  buildFromContext,
  cleanupRun,
  containersWith,
  DOCKER_POLL,
  newTestRun,
  testDocker,
} from '../helpers/docker/index.js';
import { tar } from '../helpers/docker/tar.js';
import { eventually } from '../helpers/eventually.js';
import { freePort, startLoad } from '../helpers/traffic/load.js';

// Autoscaling through the controller's listener on a real Docker engine: load only to
// 127.0.0.1, every container labelled with this run and removed afterwards.

const run = newTestRun();
const FLEET = run.fleet('autoscale');
let docker: Docker;
let fleet: Fleet;
let stopController: () => Promise<void>;
const IMAGE = 'skyfleet-test/autoscale:v1';

/** GET /cgi-bin/version answers "v1" (a CGI: each request forks, so the rate per replica is bounded). */
async function appImage(): Promise<void> {
  const applets = ['sh', 'httpd', 'wget', 'echo'];
  await buildFromContext(
    docker,
    tar([
      {
        type: 'file',
        path: 'Dockerfile',
        content:
          'FROM scratch\nCOPY bin /bin\nCOPY www /www\nCMD ["sh", "-c", "trap \\"exit 0\\" TERM; httpd -f -p 8080 -h /www & wait"]\n',
      },
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', content: readFileSync(BUSYBOX), mode: 0o755 },
      ...applets.map((a) => ({ type: 'symlink' as const, path: `bin/${a}`, target: 'busybox' })),
      { type: 'dir', path: 'www' },
      { type: 'file', path: 'www/index.html', content: 'ok\n' },
      { type: 'dir', path: 'www/cgi-bin' },
      {
        type: 'file',
        path: 'www/cgi-bin/version',
        content: '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho v1\n',
        mode: 0o755,
      },
    ]),
    IMAGE,
  );
}

function app(name: string, port: number, autoscaling: Record<string, unknown>, replicas = 1): DeploymentInput {
  return {
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name, labels: run.labels },
    spec: {
      replicas,
      service: { port, targetPort: 8080 },
      template: {
        containers: [
          {
            name: 'web',
            image: IMAGE,
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
          },
        ],
      },
      autoscaling: autoscaling as NonNullable<DeploymentInput['spec']['autoscaling']>,
    },
  } as DeploymentInput;
}

const replicasOf = async (name: string) => (await fleet.get(name))!.spec.spec.replicas;
const running = async (name: string) =>
  (await containersWith(docker, run.filter, `skyfleet.dev/deployment=${name}`)).filter((c) => c.State === 'running')
    .length;

function getOnce(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/cgi-bin/version', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString().trim() }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  docker = await testDocker();
  await appImage();
  fleet = createFleet({ name: FLEET, targets: [{ name: 'local', kind: 'docker' }], store: ':memory:' });
  const ac = new AbortController();
  const loop = fleet.run({ signal: ac.signal, leaseTtlMs: 5_000, resyncMs: 2_000, progressRequeueMs: 100 });
  stopController = async () => {
    ac.abort();
    await loop;
  };
  await eventually(async () => (await fleet.events()).some((e) => e.reason === 'LeaderElected'), {
    ...DOCKER_POLL,
    message: 'the controller leads',
  });
}, 120_000);

afterAll(async () => {
  await stopController?.();
  await fleet?.close();
  await cleanupRun(docker, run);
});

describe('autoscaling on Docker', { timeout: 240_000 }, () => {
  it('a step from 1 to 16 clients adds replicas until each holds its target, with no failed request; when it stops they go back to the minimum', async () => {
    const port = await freePort();
    await fleet.apply(
      app('step', port, {
        minReplicas: 1,
        maxReplicas: 6,
        metrics: [{ type: 'concurrency', target: 6 }],
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 2, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
        },
      }),
      { timeoutMs: 60_000 },
    );
    await eventually(async () => (await getOnce(port)).status === 200, { ...DOCKER_POLL, message: 'serving' });
    const load = startLoad(port, { path: '/cgi-bin/version', concurrency: 16, expectBodies: ['v1'], maxMs: 180_000 });
    try {
      // 16 in flight at a target of 6 per replica: at least 3 replicas, all ready, and the
      // autoscaler's own measure of the concurrency per replica within its target (10% tolerance)
      const view = await eventually(
        async () => {
          const n = await replicasOf('step');
          const v = await fleet.autoscaling('step');
          const c = v?.status?.metrics.find((m) => m.type === 'concurrency');
          return n >= 3 &&
            (await fleet.status('step')).ready === n &&
            v?.status?.current === n &&
            c?.value !== undefined &&
            c.value <= 6 * 1.1
            ? v
            : false;
        },
        { ...DOCKER_POLL, timeoutMs: 120_000, message: 'replicas ready, each within its concurrency target' },
      );
      expect(view.status!.desired).toBeLessThanOrEqual(6);
    } finally {
      const result = await load.stop();
      expect(result.failed, result.failures.join('; ')).toBe(0);
      expect(result.requests).toBeGreaterThan(0);
    }
    const events = await fleet.events({ deployment: 'step', limit: 100 });
    expect(events.find((e) => e.reason === 'ScaledUp')?.message).toMatch(
      /^1 -> \d: (panic: )?concurrency [\d.]+\/6 per replica/,
    );
    await eventually(async () => (await replicasOf('step')) === 1 && (await running('step')) === 1, {
      ...DOCKER_POLL,
      timeoutMs: 120_000,
      message: 'back to 1 once idle',
    });
    const view = await fleet.autoscaling('step');
    expect(view?.lastScale?.to).toBe(1);
    await expect(fleet.scale('step', 5)).rejects.toThrow(
      /autoscaled between 1 and 6 replicas: change spec.autoscaling/,
    );
  });

  it('scales to zero when idle, and the first request after is answered through activation', async () => {
    const port = await freePort();
    await fleet.apply(
      app('zero', port, {
        minReplicas: 0,
        maxReplicas: 2,
        metrics: [{ type: 'concurrency', target: 10 }],
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 1, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
        },
        scaleToZero: { idleSeconds: 2, activationTimeoutSeconds: 60 },
      }),
      { timeoutMs: 60_000 },
    );
    await eventually(async () => (await replicasOf('zero')) === 0 && (await running('zero')) === 0, {
      ...DOCKER_POLL,
      timeoutMs: 120_000,
      message: 'scaled to zero',
    });
    const res = await getOnce(port);
    expect(res).toEqual({ status: 200, body: 'v1' });
    expect(await replicasOf('zero')).toBe(1);
    const events = await fleet.events({ deployment: 'zero', limit: 100 });
    expect(events.some((e) => e.reason === 'ScaledUp' && /^0 -> 1: activation/.test(e.message))).toBe(true);
    const view = await eventually(
      async () => {
        const v = await fleet.autoscaling('zero');
        return v?.coldStarts ? v : false;
      },
      { ...DOCKER_POLL, message: 'the cold start recorded' },
    );
    expect(view?.coldStarts?.count).toBe(1);
  });
});
