/**
 * ARM does not hand back what it was sent: the official examples PUT `"location": "west us"` and read
 * back `"location": "WestUs"`, with secrets stripped and defaults added
 * (emulators/reference/azure-container-instances/examples/ContainerGroupsCreateOrUpdate.json), and an
 * organisation's Azure Policy with the Modify effect adds tags the writer never sent
 * (https://learn.microsoft.com/azure/governance/policy/concepts/effect-modify). The emulator does
 * both; the provider compares only what it owns, so such a read-back is no drift and causes no write.
 */
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { AciEmulator, aciProvider } from '../../emulators/aci/index.js';

const FLEET = 'normalised';
let em: AciEmulator;
beforeAll(() => {
  nock.disableNetConnect();
  em = new AciEmulator({ policyTags: { CostCenter: '4711' } });
  em.install();
});
afterAll(() => {
  em.uninstall();
  nock.enableNetConnect();
  expect(em.violations.problems).toEqual([]);
});

const template: PodTemplate = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web', key: 'token' } } }],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { cpu: '500m', memory: '1Gi' },
    },
  ],
};
const slice: DesiredSlice = {
  key: { fleet: FLEET, deployment: 'web', revision: revisionOf(template), zone: 'eastus-1' },
  replicas: 2,
  template,
  secrets: { TOKEN: 'tok-123' },
};

it('a location read back as "EastUs", a policy tag and a stripped secret are no drift: a re-apply writes nothing', async () => {
  const p = aciProvider(em, FLEET);
  expect(await p.apply(slice)).toEqual({ changed: true, writes: 2 });
  em.advance(em.consistencyLagMs); // lists show the writes
  const mark = em.log.mark();
  const [o] = await p.observe({ fleet: FLEET });
  expect(o).toMatchObject({ replicas: 2, ready: 2 });
  const read = em.log.since(mark).find((e) => e.operation === 'containerGroups.get')!.response as {
    location: string;
    tags: Record<string, string>;
    properties: { containers: Array<{ properties: { environmentVariables: Array<Record<string, string>> } }> };
  };
  expect(read.location).toBe('EastUs');
  expect(read.tags.CostCenter).toBe('4711');
  expect(read.properties.containers[0]!.properties.environmentVariables).toEqual([{ name: 'TOKEN' }]);
  expect(await p.apply(slice)).toEqual({ changed: false, writes: 0 });
  expect(em.log.writes(mark)).toEqual([]);
});
