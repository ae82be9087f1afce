/**
 * API call economy of a steady-state pass on Cloud Run (issue 19, as the ECS one in
 * test/cloud/ecs/faults-economy.test.ts): once converged, observing the fleet and re-applying
 * every slice writes nothing, and the reads do not grow with the replica count. Cloud Run's
 * instance count is not a per-instance API (services.proto Service: scaling, traffic_statuses;
 * no instance list), so a service is one read whatever it runs.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CloudRunProvider } from '../../../providers/gcp-cloud-run/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { runHarness } from '../../emulators/cloud-run/index.js';

beforeAll(() => nock.disableNetConnect());
const FLEET = 'economy';
const REGION = 'us-central1';
const h = runHarness({ fleet: FLEET });
afterAll(() => {
  h.close();
  nock.enableNetConnect();
});

const template = (image: string): PodTemplate => ({
  containers: [{ name: 'web', image, env: [], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {} }],
});
const slice = (deployment: string, replicas: number): DesiredSlice => {
  const t = template(`gcr.io/p/${deployment}:1`);
  return { key: { fleet: FLEET, deployment, revision: revisionOf(t), zone: REGION }, replicas, template: t };
};

async function converged(p: CloudRunProvider, slices: DesiredSlice[]): Promise<void> {
  for (const s of slices) await p.apply(s);
  for (let i = 0; i < 100; i++) {
    const observed = await p.observe({ fleet: FLEET });
    const ready = new Map(observed.map((o) => [o.key.deployment, o.ready]));
    if (slices.every((s) => ready.get(s.key.deployment) === s.replicas)) {
      // steady state: the list shows the writes (until it does, the provider reads what it wrote by name)
      h.clock.advance(h.emulator.consistencyLagMs);
      return;
    }
    h.clock.advance(1000);
  }
  throw new Error('the slices did not converge');
}

/** One steady-state pass: observe the fleet, re-apply every slice; what it sent. */
async function pass(p: CloudRunProvider, slices: DesiredSlice[]) {
  const mark = h.emulator.log.mark();
  await p.observe({ fleet: FLEET });
  for (const s of slices) expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
  const ops = h.emulator.log.operations(mark);
  return { writes: h.emulator.log.writes(mark), ops: [...new Set(ops)].sort(), total: ops.length };
}

it('a steady-state pass over 10 services makes no write, and the same reads with 1 or 5 replicas each', async () => {
  const p = h.provider();
  const small = Array.from({ length: 10 }, (_, i) => slice(`app${i}`, 1));
  await converged(p, small);
  const one = await pass(p, small);
  expect(one.writes).toEqual([]);
  // one list for the fleet, then per apply one read of the service it owns
  expect(one.ops).toEqual(['services.get', 'services.list']);
  expect(one.total).toBe(1 + small.length);

  const big = small.map((s) => ({ ...s, replicas: 5 }));
  await converged(p, big);
  const five = await pass(p, big);
  expect(five.writes).toEqual([]);
  expect(five.total).toBe(one.total);
});
