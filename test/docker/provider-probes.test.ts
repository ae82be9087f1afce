import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProvider, dockerTargetSettings } from '../../providers/docker/index.js';
import { ProviderError } from '../../src/errors/provider-error.js';
import type { DesiredSlice, ObservedSlice } from '../../src/provider/provider.js';
import { podTemplate } from '../../src/spec/deployment.js';
import {
  cleanupRun,
  containersWith,
  DOCKER_POLL,
  ensureWebImage,
  newTestRun,
  testDocker,
} from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

const run = newTestRun();
const FLEET = run.fleet('probe');
let docker: Docker;
let image: string;
let p: DockerProvider;

function slice(deployment: string, container: Record<string, unknown>, replicas = 1): DesiredSlice {
  return {
    key: { fleet: FLEET, deployment, revision: 'r1', zone: 'probes' },
    replicas,
    template: podTemplate.parse({
      containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }], ...container }],
    }),
    labels: run.labels,
  };
}

async function settle(
  deployment: string,
  ok: (s: ObservedSlice) => boolean,
  timeoutMs = 20_000,
): Promise<ObservedSlice> {
  return eventually(
    async () => {
      const s = (await p.observe({ fleet: FLEET, deployment }))[0];
      return s && ok(s) ? s : false;
    },
    { ...DOCKER_POLL, message: `${deployment} to settle`, timeoutMs },
  );
}

const fast = { periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 };

beforeAll(async () => {
  docker = await testDocker();
  image = await ensureWebImage(docker, '1');
  p = new DockerProvider(dockerTargetSettings.parse({ name: 'probes', kind: 'docker' }), { fleet: FLEET });
});

afterAll(async () => {
  await p.close();
  await cleanupRun(docker, run);
});

describe('DockerProvider probes as HEALTHCHECKs', () => {
  it('httpGet, tcpSocket and exec probes all turn ready', async () => {
    await Promise.all([
      p.apply(slice('http', { readinessProbe: { httpGet: { path: '/version', port: 8080 }, ...fast } })),
      p.apply(slice('tcp', { readinessProbe: { tcpSocket: { port: 8080 }, ...fast } })),
      p.apply(slice('exec', { readinessProbe: { exec: { command: ['cat', '/www/version'] }, ...fast } })),
    ]);
    for (const d of ['http', 'tcp', 'exec']) {
      const s = await settle(d, (x) => x.ready === 1);
      expect(s.replicaStatus[0]).toMatchObject({ state: 'ready', ready: true });
    }
  });

  it('a failing httpGet probe gives an unhealthy replica whose message says why', async () => {
    await p.apply(slice('bad-http', { readinessProbe: { httpGet: { path: '/nope', port: 8080 }, ...fast } }));
    const s = await settle('bad-http', (x) => x.replicaStatus[0]?.state === 'unhealthy');
    expect(s.ready).toBe(0);
    expect(s.replicaStatus[0]?.message).toMatch(/health check failed: .*404/);
  });

  it('sees readiness as soon as the first probe passes, not one health interval later', async () => {
    // Docker runs a HEALTHCHECK's first check one interval after start (this engine has no
    // StartInterval): with periodSeconds 120 nothing but skyfleet's own first probes can make
    // these replicas ready within the 60 s this test waits.
    const slow = { periodSeconds: 120, timeoutSeconds: 1, failureThreshold: 3 };
    const changes: string[] = [];
    const unwatch = p.watch({ fleet: FLEET }, (c) => changes.push(`${c.deployment}: ${c.reason}`));
    try {
      await Promise.all([
        p.apply(slice('first-http', { readinessProbe: { httpGet: { path: '/version', port: 8080 }, ...slow } })),
        p.apply(slice('first-tcp', { readinessProbe: { tcpSocket: { port: 8080 }, ...slow } })),
        p.apply(slice('first-exec', { readinessProbe: { exec: { command: ['cat', '/www/version'] }, ...slow } })),
        p.apply(slice('first-404', { readinessProbe: { httpGet: { path: '/nope', port: 8080 }, ...slow } })),
      ]);
      for (const d of ['first-http', 'first-tcp', 'first-exec']) {
        const s = await settle(d, (x) => x.ready === 1, 60_000);
        expect(s.replicaStatus[0]).toMatchObject({ state: 'ready', ready: true });
        const info = await docker.getContainer(s.replicaStatus[0]?.id ?? '').inspect();
        expect(info.State.Health?.Status).toBe('starting'); // Docker's own check has not run yet
        expect(changes).toContain(`${d}: first readiness probe passed`);
      }
      // another process (a CLI after apply) that has never probed them agrees at once
      const other = new DockerProvider(dockerTargetSettings.parse({ name: 'probes', kind: 'docker' }), {
        fleet: FLEET,
      });
      try {
        const seen = await other.observe({ fleet: FLEET, deployment: 'first-http' });
        expect(seen[0]).toMatchObject({ ready: 1 });
      } finally {
        await other.close();
      }
      // a probe that fails keeps its replica starting (probed since the same moment as the others)
      const bad = (await p.observe({ fleet: FLEET, deployment: 'first-404' }))[0];
      expect(bad?.replicaStatus[0]).toMatchObject({ state: 'starting', ready: false });
      expect(changes.filter((c) => c.startsWith('first-404'))).not.toContain('first-404: first readiness probe passed');
    } finally {
      unwatch();
    }
  });

  it('a probe on a port nothing listens on reports the refusal while starting or unhealthy', async () => {
    await p.apply(slice('bad-tcp', { readinessProbe: { tcpSocket: { port: 9999 }, ...fast } }));
    const s = await settle('bad-tcp', (x) => x.replicaStatus[0]?.state === 'unhealthy');
    expect(s.replicaStatus[0]?.message).toMatch(/health check failed/);
  });

  it('a process that crashes is restarted by Docker and shows restarts', async () => {
    await p.apply(slice('crashy', { command: ['sh', '-c', 'sleep 0.2; exit 3'], ports: [] }));
    const s = await settle('crashy', (x) => (x.replicaStatus[0]?.restarts ?? 0) >= 1);
    // seen between two crashes it is running (ready, saying it runs again); else restarting
    // (failed) or just exited (stopped), saying why
    const r = s.replicaStatus[0]!;
    expect(['failed', 'ready', 'stopped']).toContain(r.state);
    expect(r.ready).toBe(r.state === 'ready');
    expect(r.message).toMatch(/restart|exited with code 3/);
    // a crash loop is Docker's to handle: a re-apply does not replace it
    expect(await p.apply(slice('crashy', { command: ['sh', '-c', 'sleep 0.2; exit 3'], ports: [] }))).toEqual({
      changed: false,
      writes: 0,
    });
  });

  it('a command that cannot start is a terminal error, and the container is removed again', async () => {
    const err = await p.apply(slice('nostart', { command: ['/no/such/binary'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).message).toMatch(/no such file|not found|executable/i);
    expect(await containersWith(docker, run.filter, 'skyfleet.dev/deployment=nostart')).toEqual([]);
  });

  it('an aborted signal stops apply before any write', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await p.apply(slice('aborted', {}), { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect(await containersWith(docker, run.filter, 'skyfleet.dev/deployment=aborted')).toEqual([]);
  });
});
