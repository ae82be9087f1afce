/**
 * A hybrid fleet through the public facade (`createFleet`): a local (memory) target and a Cloud Run
 * target backed by the real @google-cloud/run client against the emulator.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revisionName, serviceId } from '../../../providers/gcp-cloud-run/index.js';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { MemoryCallLog } from '../../../src/calllog/index.js';
import { createFleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { runHarness, steppingClock } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'hybrid-gcr';
const SECRET = 'tok-1a2b3c4d5e6f-secret';
const callLog = new MemoryCallLog();
const h = runHarness({ fleet: FLEET, provider: { callLog } });
h.emulator.secretManager.addVersion('skyfleet-test', 'web-token');
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const web = (image: string, replicas: number): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { team: 'shop' } },
  spec: {
    replicas,
    template: {
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-token', key: 'latest' } } }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '1', memory: '512Mi' },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
        },
      ],
    },
    placement: { targets: [{ name: 'local', min: 1, max: 1 }, { name: 'gcr' }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  },
});

it('places, scales, rolls out, deletes across local + Cloud Run; a re-apply writes nothing', async () => {
  const local = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'local', kind: 'memory', provider: 'docker', zones: ['laptop'] }),
    { fleet: FLEET },
    { cloud: new MemoryCloud() },
  );
  const gcr = h.provider();
  const fleet = createFleet({
    name: FLEET,
    targets: [local, gcr],
    store: ':memory:',
    secrets: () => SECRET,
    clock: steppingClock(h.clock),
  });
  const opts = { timeoutMs: 120_000, pollIntervalMs: 1000 };
  const id = serviceId(FLEET, 'gcr', 'web');
  const svcName = `projects/skyfleet-test/locations/us-central1/services/${id}`;
  const service = () => h.emulator.services.get(svcName);
  try {
    // placement: 1 local, the rest on Cloud Run (one service, min instances = its replicas)
    const first = await fleet.apply(web('gcr.io/shop/web:1', 5), opts);
    expect(first.progress.ready).toBe(5);
    const byTarget = (r: typeof first, t: string) =>
      r.placement.assignments.filter((a) => a.target === t).reduce((n, a) => n + a.replicas, 0);
    expect([byTarget(first, 'local'), byTarget(first, 'gcr')]).toEqual([1, 4]);
    expect((service()!.spec.scaling as { minInstanceCount: number }).minInstanceCount).toBe(4);

    // re-apply: zero writes, and no write request reached Cloud Run
    let mark = h.emulator.log.mark();
    expect((await fleet.apply(web('gcr.io/shop/web:1', 5), opts)).writes).toBe(0);
    expect(h.emulator.log.writes(mark)).toEqual([]);

    // scale: Cloud Run's share grows, no new revision
    const scaled = await fleet.scale('web', 8, opts);
    expect(scaled.progress.ready).toBe(8);
    expect((service()!.spec.scaling as { minInstanceCount: number }).minInstanceCount).toBe(7);
    expect(service()!.revisions.size).toBe(1);

    // rolling update: a new Cloud Run revision on the same service, traffic ends on it
    const roll = await fleet.apply(web('gcr.io/shop/web:2', 8), opts);
    expect(roll.progress.ready).toBe(8);
    const s = service()!;
    expect(s.revisions.size).toBe(2);
    expect(s.routing).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: revisionName(id, roll.revision), percent: 100 },
    ]);
    expect(h.emulator.created).toEqual([svcName]);
    const status = await fleet.status('web');
    expect(status.slices.filter((x) => x.target === 'gcr').map((x) => [x.revision, x.replicas, x.ready])).toEqual([
      [roll.revision, 7, 7],
    ]);

    // re-apply after the rollout: zero writes
    mark = h.emulator.log.mark();
    expect((await fleet.apply(web('gcr.io/shop/web:2', 8), opts)).writes).toBe(0);
    expect(h.emulator.log.writes(mark)).toEqual([]);

    // delete: the Cloud Run service goes away with the local replicas
    await fleet.delete('web');
    expect(service()).toBeUndefined();
    expect(await gcr.observe({ fleet: FLEET })).toEqual([]);
    expect(await local.observe({ fleet: FLEET })).toEqual([]);
    expect(h.emulator.violations.problems).toEqual([]);
    expect(JSON.stringify(callLog.entries)).not.toContain(SECRET);
    expect(JSON.stringify(h.emulator.log.entries)).not.toContain(SECRET);
  } finally {
    await fleet.close();
  }
});
