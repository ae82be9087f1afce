/**
 * The azure-aci provider through ARM's eventually consistent lists: ARM serves them from a cache
 * ("The /resources API is served from a regional cache from Azure Resource Manager, which is
 * eventual consistent, and not real time", Azure/AKS#1964; newly created resources missing from a
 * list for minutes, Azure/azure-rest-api-specs#28600) while a GET by id is current. Here a list shows
 * a group as it was before a write for 10 s, longer than an apply waits for provisioning. Neither
 * observe nor apply nor remove may take such a list at face value.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';

const FLEET = 'lagged';
const RG = 'skyfleet-rg';
let em: AciEmulator;
beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  em.uninstall();
  expect(em.violations.problems).toEqual([]);
});

const template: PodTemplate = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      env: [],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { cpu: '500m', memory: '1Gi' },
    },
  ],
};
const slice = (replicas: number): DesiredSlice => ({
  key: { fleet: FLEET, deployment: 'web', revision: revisionOf(template), zone: 'eastus-1' },
  replicas,
  template,
});
const listedNames = () =>
  em.log.entries.filter((e) => e.operation === 'containerGroups.listByResourceGroup').at(-1)!.response as {
    value: Array<{ name: string }>;
  };

function lagged(): void {
  em = new AciEmulator({ consistencyLagMs: 10_000 });
  em.install();
}

it('right after an apply: observe reports every replica and a re-apply writes nothing, though the list does not show them', async () => {
  lagged();
  const p = aciProvider(em, FLEET);
  expect(await p.apply(slice(2))).toEqual({ changed: true, writes: 2 });
  const [o] = await p.observe({ fleet: FLEET });
  expect(listedNames().value).toEqual([]);
  expect(o).toMatchObject({ replicas: 2, ready: 2 });
  const mark = em.log.mark();
  expect(await p.apply(slice(2))).toEqual({ changed: false, writes: 0 });
  expect(em.log.writes(mark)).toEqual([]);
});

it('right after another instance created the groups: a re-apply reads them by name and writes nothing', async () => {
  lagged();
  await aciProvider(em, FLEET).apply(slice(2));
  const mark = em.log.mark();
  expect(await aciProvider(em, FLEET).apply(slice(2))).toEqual({ changed: false, writes: 0 });
  expect(em.log.operations(mark)).toEqual([
    'containerGroups.listByResourceGroup',
    'containerGroups.get',
    'containerGroups.get',
  ]);
});

it('remove right after a scale-up deletes the group the list does not show yet', async () => {
  lagged();
  const p = aciProvider(em, FLEET);
  await p.apply(slice(1));
  em.advance(10_000);
  await p.apply(slice(2));
  expect(em.names(RG)).toHaveLength(2);
  expect(await p.remove(slice(2).key)).toEqual({ changed: true, writes: 2 });
  expect(em.names(RG)).toEqual([]);
});
