/**
 * ARM does not hand back what it was sent: the official examples PUT `"location": "west us"` and read
 * back `"location": "WestUs"`, with secrets stripped and defaults added
 * (emulators/reference/azure-container-instances/examples/ContainerGroupsCreateOrUpdate.json), and an
 * organisation's Azure Policy with the Modify effect adds tags the writer never sent
 * (https://learn.microsoft.com/azure/governance/policy/concepts/effect-modify). The emulator does
 * both; the provider compares only what it owns, so such a read-back is no drift and causes no write.
 */
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DesiredSlice } from '../../../src/provider/provider.js';
import type { PodTemplate } from '../../../src/spec/deployment.js';
import { revisionOf } from '../../../src/spec/revision.js';
import { projection } from '../../../providers/azure-aci/index.js';
import { AciEmulator, aciProvider, REFERENCE_DIR } from '../../emulators/aci/index.js';

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

it("the official example's PUT body and ARM's answer to it project the same: no drift from ARM's normalisation", () => {
  // ContainerGroupsCreateOrUpdate.json sends `"location": "west us"`, ports without a protocol,
  // `command: []`, no restartPolicy, a Log Analytics key and volume secrets; ARM answers "WestUs",
  // `protocol: "TCP"`, its defaults and no secrets. Both are read as the SDK reads a group (its
  // `properties` flattened into the model), so the comparison sees what the provider would.
  const example = JSON.parse(readFileSync(`${REFERENCE_DIR}/examples/ContainerGroupsCreateOrUpdate.json`, 'utf8')) as {
    parameters: { containerGroup: Wire };
    responses: { 200: { body: Wire } };
  };
  const a = asModel(example.parameters.containerGroup);
  const b = asModel(example.responses[200].body);
  expect([a.location, b.location]).toEqual(['west us', 'WestUs']);
  // the example itself is not one exchange in two places: its answer names zone 1 the request never
  // asked for, and drops the request's subnet (an ARM template expression beside a Public IP)
  const known = (g: ContainerGroup) => ({ ...g, zones: undefined, subnetIds: undefined });
  expect(projection(known(a))).toEqual(projection(known(b)));
  // and the projection is not blind: a change of what skyfleet owns shows
  expect(projection(known({ ...b, containers: [{ ...b.containers[0]!, image: 'nginx:2' }] }))).not.toEqual(
    projection(known(a)),
  );
});

// biome-ignore lint/suspicious/noExplicitAny: wire JSON of the official example
type Wire = Record<string, any>;

/** A group's wire JSON as @azure/arm-containerinstance's model: `properties` flattened, as its mappers do. */
function asModel(body: Wire): ContainerGroup {
  const { properties, ...rest } = body;
  return {
    ...rest,
    ...properties,
    containers: (properties.containers as Wire[]).map((c) => ({ name: c.name, ...c.properties })),
  } as ContainerGroup;
}
