import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/fleet.js';
import { ConvergeError, ProviderError } from '../../src/errors/index.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { cleanupRun, ensureWebImage, newTestRun, readyOf, testDocker } from '../helpers/docker/index.js';

const run = newTestRun();
const FLEET = run.fleet('fleet');
let docker: Docker;
let fleet: Fleet;

const web = (image: string, replicas = 3): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { ...run.labels, team: 'shop' } },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'MODE', value: 'prod' }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '0.25', memory: '64Mi' },
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
        },
      ],
    },
    placement: { targets: [{ name: 'local' }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

const mine = () => docker.listContainers({ all: true, filters: { label: [`skyfleet.dev/fleet=${FLEET}`] } });

/** Docker events about this fleet's containers between two instants (seconds since epoch). */
async function eventsBetween(since: string, until: string): Promise<string[]> {
  // the engine takes fractional seconds; @types/dockerode only knows integers
  const opts = {
    since,
    until,
    filters: { type: ['container'], label: [`skyfleet.dev/fleet=${FLEET}`] },
  } as unknown as { since: number };
  const stream = (await docker.getEvents(opts)) as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { Action: string }).Action)
    .filter((a) => !a.startsWith('exec_') && !a.startsWith('health_status'));
}

async function httpOk(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  docker = await testDocker();
  await Promise.all([ensureWebImage(docker, '1'), ensureWebImage(docker, '2')]);
  fleet = createFleet({ name: FLEET, targets: [{ name: 'local', kind: 'docker' }], store: ':memory:' });
});

afterAll(async () => {
  await fleet?.close();
  await cleanupRun(docker, run);
  for (const c of await mine())
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
});

describe('fleet on a real Docker engine', () => {
  it('applies 3 replicas: all healthy, each answering HTTP 200 on its 127.0.0.1 endpoint', async () => {
    const res = await fleet.apply(web('skyfleet-test/web:1'), { timeoutMs: 60_000 });
    expect(res.progress.ready).toBe(3);
    const status = await fleet.status('web');
    const endpoints = status.slices.flatMap((s) => s.replicaStatus.flatMap((r) => r.endpoints));
    expect(endpoints).toHaveLength(3);
    for (const e of endpoints) {
      expect(e.host).toBe('127.0.0.1');
      expect(await httpOk(e.port)).toContain('web 1');
    }
    const list = await mine();
    expect(list).toHaveLength(3);
    expect(await readyOf(docker, list)).toHaveLength(3); // healthy, or answering before Docker's first check
    expect(
      list.every(
        (c) =>
          c.Labels['skyfleet.dev/managed-by'] === 'skyfleet' &&
          c.Labels['skyfleet.dev/deployment'] === 'web' &&
          c.Labels.team === 'shop',
      ),
    ).toBe(true);
  });

  it('re-applying the same spec makes zero Docker mutations', async () => {
    const since = (Date.now() / 1000).toFixed(3); // the engine takes fractional seconds
    const before = (await mine()).map((c) => c.Id).sort();
    const res = await fleet.apply(web('skyfleet-test/web:1'), { timeoutMs: 60_000 });
    expect(res.writes).toBe(0);
    const until = (Date.now() / 1000 + 0.5).toFixed(3);
    expect((await mine()).map((c) => c.Id).sort()).toEqual(before);
    // docker's `until` waits for that instant to pass
    await new Promise((r) => setTimeout(r, Math.max(0, Number(until) * 1000 - Date.now() + 50)));
    expect(await eventsBetween(since, until)).toEqual([]);
  });

  it('rolls out an image change without ever dropping below 3 ready or going above 4 containers', async () => {
    const samples: Array<{ total: number; ready: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const list = (await mine()).filter(
          (c) => c.State === 'running' || c.State === 'created' || c.State === 'restarting',
        );
        samples.push({ total: list.length, ready: (await readyOf(docker, list)).length });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const res = await fleet.apply(web('skyfleet-test/web:2'), { timeoutMs: 120_000 });
      expect(res.progress.ready).toBe(3);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(samples.length).toBeGreaterThan(10);
    expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(3);
    expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(4);
    const status = await fleet.status('web');
    for (const e of status.slices.flatMap((s) => s.replicaStatus.flatMap((r) => r.endpoints)))
      expect(await httpOk(e.port)).toContain('web 2');
    expect((await mine()).every((c) => c.Labels['skyfleet.dev/revision'] === status.revision)).toBe(true);
    expect((await fleet.history('web')).map((h) => h.number)).toEqual([1, 2]);
  });

  it('scales 3 -> 5 -> 2', async () => {
    await fleet.scale('web', 5, { timeoutMs: 60_000 });
    expect(await readyOf(docker, await mine())).toHaveLength(5);
    await fleet.scale('web', 2, { timeoutMs: 60_000 });
    const left = await mine();
    expect(left).toHaveLength(2);
    expect((await fleet.status('web')).ready).toBe(2);
  });

  it('an image that does not exist fails with a clear error and leaves nothing running', async () => {
    const err = await fleet
      .apply(
        { ...web('skyfleet-test/does-not-exist:404', 2), metadata: { name: 'ghost', labels: run.labels } },
        { timeoutMs: 60_000 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as Error).message).toContain('skyfleet-test/does-not-exist:404');
    expect((await mine()).filter((c) => c.Labels['skyfleet.dev/deployment'] === 'ghost')).toEqual([]);
  });

  it('fails to converge with an error that names the replicas not ready and their probe output', async () => {
    const broken = web('skyfleet-test/web:1', 1);
    broken.metadata = { name: 'broken', labels: run.labels };
    broken.spec.template.containers[0]!.readinessProbe = {
      httpGet: { path: '/missing', port: 8080 },
      periodSeconds: 1,
      failureThreshold: 1,
    };
    const err = await fleet.apply(broken, { timeoutMs: 6_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConvergeError);
    expect((err as ConvergeError).notReady).toHaveLength(1);
    expect((err as Error).message).toMatch(/broken did not converge: 0\/1 replicas/);
    expect((err as Error).message).toMatch(/404/);
    await fleet.delete('broken');
  });

  it('delete removes every container of the deployment and nothing else', async () => {
    const other = await docker.createContainer({
      Image: 'skyfleet-test/web:1',
      Labels: { ...run.labels, 'skyfleet.dev/fleet': `${FLEET}-other` },
    });
    try {
      await fleet.delete('web');
      expect(await mine()).toEqual([]);
      expect((await docker.getContainer(other.id).inspect()).Id).toBe(other.id);
    } finally {
      await other.remove({ force: true });
    }
  });
});
