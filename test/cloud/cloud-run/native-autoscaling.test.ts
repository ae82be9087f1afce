/**
 * A deployment that Cloud Run scales itself: skyfleet maps `spec.autoscaling` onto the service
 * (vendor_settings.proto ServiceScaling min/max_instance_count, revision_template.proto
 * max_instance_request_concurrency) instead of driving its count. Through the real
 * @google-cloud/run client against the emulator; every test ends with no model violation.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceId } from '../../../providers/gcp-cloud-run/index.js';
import type { DesiredSlice, SliceAutoscaling } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'auto';
const h = runHarness({ fleet: FLEET, target: { maxInstanceCount: 20 } });
afterEach(() => {
  expect(h.emulator.violations.problems).toEqual([]);
});
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const template = (image: string): PodTemplate => ({
  containers: [
    {
      name: 'web',
      image,
      env: [],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      resources: { cpu: '1', memory: '512Mi' },
    },
  ],
});
const bounds: SliceAutoscaling = { minReplicas: 1, maxReplicas: 10, deploymentReplicas: 2, concurrency: 30 };
const slice = (t: PodTemplate, replicas: number, autoscaling?: SliceAutoscaling): DesiredSlice => ({
  key: { fleet: FLEET, deployment: 'web', revision: revisionOf(t), zone: 'us-central1' },
  replicas,
  template: t,
  ...(autoscaling ? { autoscaling } : {}),
});
const svc = () =>
  h.emulator.services.get(`projects/skyfleet-test/locations/us-central1/services/${serviceId(FLEET, 'gcr', 'web')}`)!;
const scaling = () => svc().spec.scaling as { minInstanceCount?: number; maxInstanceCount?: number };
const annotations = () => svc().spec.annotations as Record<string, string>;

describe("Cloud Run's own autoscaler, given the bounds", () => {
  const t1 = template('gcr.io/p/web:1');
  const t2 = template('gcr.io/p/web:2');

  it('a new service scales between the bounds, aiming at the concurrency target', async () => {
    const p = h.provider();
    const mark = h.emulator.log.mark();
    expect(await p.apply(slice(t1, 2, bounds))).toEqual({ changed: true, writes: 1 });
    const create = h.emulator.log.since(mark).find((e) => e.operation === 'services.create')!;
    // biome-ignore lint/suspicious/noExplicitAny: wire JSON under test
    const body = create.body as Record<string, any>;
    // the bounds, not the 2 replicas as warm instances
    expect(body.scaling).toEqual({ minInstanceCount: 1, maxInstanceCount: 10 });
    // Cloud Run holds each instance at 60% of its maximum: 30 in flight is a maximum of 50
    expect(body.template.maxInstanceRequestConcurrency).toBe(50);
    const [obs] = await p.observe({ fleet: FLEET, deployment: 'web' });
    expect(obs?.autoscaling).toEqual(bounds);
    expect(obs?.replicas).toBe(2);
    // unchanged: a GET and no write
    const again = h.emulator.log.mark();
    expect(await p.apply(slice(t1, 2, bounds))).toEqual({ changed: false, writes: 0 });
    expect(h.emulator.log.writes(again)).toEqual([]);
  });

  it("new bounds are one update of the service, capped by the target's maxInstanceCount", async () => {
    const p = h.provider();
    const mark = h.emulator.log.mark();
    expect(await p.apply(slice(t1, 2, { ...bounds, minReplicas: 3, maxReplicas: 40 }))).toEqual({
      changed: true,
      writes: 1,
    });
    const [patch] = h.emulator.log.writes(mark);
    expect(patch?.path).toMatch(/updateMask=annotations%2Cscaling(&|$)/);
    expect(scaling()).toEqual({ minInstanceCount: 3, maxInstanceCount: 20 });
    expect(svc().revisions.size).toBe(1);
  });

  it('through a rollout the bounds stay, and removing the old revision keeps them', async () => {
    const p = h.provider();
    const b = { ...bounds, minReplicas: 3, maxReplicas: 40 };
    // the new revision's 2 replicas beside the old one's 2: 4 placed, still the whole deployment
    expect((await p.apply(slice(t2, 2, b))).changed).toBe(true);
    expect(scaling()).toEqual({ minInstanceCount: 3, maxInstanceCount: 20 });
    expect(await p.remove(slice(t1, 0).key)).toEqual({ changed: true, writes: 1 });
    expect(scaling()).toEqual({ minInstanceCount: 3, maxInstanceCount: 20 });
    expect(JSON.parse(annotations()['skyfleet.dev/autoscaling']!)).toEqual(b);
  });

  it('a share of the deployment placed here takes that share of the bounds', async () => {
    const p = h.provider();
    // 1 of the deployment's 4 replicas is here: a quarter of 2-40
    await p.apply(slice(t2, 1, { minReplicas: 2, maxReplicas: 40, deploymentReplicas: 4 }));
    expect(scaling()).toEqual({ minInstanceCount: 1, maxInstanceCount: 10 });
  });

  it('when skyfleet scales the deployment again, the bounds go and its replicas are warm instances', async () => {
    const p = h.provider();
    expect(await p.apply(slice(t2, 3))).toEqual({ changed: true, writes: 1 });
    expect(scaling()).toEqual({ minInstanceCount: 3, maxInstanceCount: 20 });
    expect(annotations()['skyfleet.dev/autoscaling']).toBeUndefined();
    const [obs] = await p.observe({ fleet: FLEET, deployment: 'web' });
    expect(obs?.autoscaling).toBeUndefined();
  });
});
