/**
 * API call economy of a steady-state pass on ACI (issue 19, as the ECS one in
 * test/cloud/ecs/faults-economy.test.ts): once converged, observing the fleet and re-applying
 * every slice writes nothing. Where the reads come from: ACI has no service above the container
 * groups, and a listed group has no group instance view (containerInstance.2026-05-01.json:
 * ListResultContainerGroupPropertiesProperties lacks the `instanceView` (state, events) that
 * ContainerGroupPropertiesProperties has on a GET), so observing reads the list once and each group
 * once for its readiness: reads that grow with the replica count, as the API requires. Applying a
 * slice reads the list once and nothing more.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AzureAciProvider } from '../../../providers/azure-aci/index.js';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';

const FLEET = 'economy';
let em: AciEmulator;
beforeAll(() => {
  nock.disableNetConnect();
  em = new AciEmulator();
  em.install();
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
});

const template = (image: string): PodTemplate => ({
  containers: [
    {
      name: 'web',
      image,
      env: [],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { cpu: '500m', memory: '1Gi' },
    },
  ],
});
const slice = (deployment: string, replicas: number): DesiredSlice => {
  const t = template(`nginx:${deployment}`);
  return { key: { fleet: FLEET, deployment, revision: revisionOf(t), zone: 'eastus-1' }, replicas, template: t };
};

/** One steady-state pass: observe the fleet, re-apply every slice; what it sent. */
async function pass(p: AzureAciProvider, slices: DesiredSlice[]) {
  const mark = em.log.mark();
  const observed = await p.observe({ fleet: FLEET });
  const observeOps = em.log.operations(mark);
  const applyMark = em.log.mark();
  for (const s of slices) expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
  return {
    ready: observed.reduce((n, o) => n + o.ready, 0),
    writes: em.log.writes(mark),
    observeOps,
    applyOps: em.log.operations(applyMark),
  };
}

it('a steady-state pass over 5 deployments makes no write: one list and one read per group to observe, one list per apply', async () => {
  const p = aciProvider(em, FLEET);
  const slices = Array.from({ length: 5 }, (_, i) => slice(`app${i}`, 2));
  for (const s of slices) await p.apply(s);
  // steady state: lists show the writes (until they do, the provider reads the groups it wrote by name)
  em.advance(em.consistencyLagMs);
  const r = await pass(p, slices);
  expect(r.writes).toEqual([]);
  expect(r.ready).toBe(10);
  expect(r.observeOps.filter((o) => o === 'containerGroups.listByResourceGroup')).toHaveLength(1);
  expect(r.observeOps.filter((o) => o === 'containerGroups.get')).toHaveLength(10);
  expect(r.observeOps).toHaveLength(11);
  expect(r.applyOps).toEqual(slices.map(() => 'containerGroups.listByResourceGroup'));
});
