/**
 * The ACI emulator's lists lag writes as ARM's do: ARM serves lists from an eventually consistent
 * cache ("The /resources API is served from a regional cache from Azure Resource Manager, which is
 * eventual consistent, and not real time", Azure/AKS#1964; newly created resources missing from a
 * list for minutes while listByResourceGroup and GET show them, Azure/azure-rest-api-specs#28600).
 * For `consistencyLagMs` after a PUT or DELETE, a list shows the group as it was before; a GET by
 * name is current. Through the real ContainerInstanceManagementClient.
 */
import type { ContainerGroup } from '@azure/arm-containerinstance';
import nock from 'nock';
import { afterEach, beforeAll, afterAll, expect, it } from 'vitest';
import { AciEmulator, emulatorClient } from './index.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
let em: AciEmulator;
afterEach(() => {
  expect(em.violations.problems).toEqual([]);
  em.uninstall();
});

const RG = 'rg1';
const group = (image: string): ContainerGroup => ({
  location: 'eastus',
  osType: 'Linux',
  containers: [{ name: 'web', image, resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
});

it('a list leaves out a new group, shows the old properties of an updated one and keeps a deleted one, for the lag; a GET is current', async () => {
  em = new AciEmulator({ consistencyLagMs: 10_000 });
  em.install();
  const client = emulatorClient(em);
  const options = { updateIntervalInMs: 0 };
  const listed = async () => {
    const out: string[] = [];
    for await (const g of client.containerGroups.listByResourceGroup(RG))
      out.push(`${g.name}:${g.containers[0]!.image}`);
    return out;
  };
  // the create's polls move the clock 3 s (provisioning), still within the lag
  await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'web-0', group('nginx:1'), options);
  expect(await listed()).toEqual([]);
  expect((await client.containerGroups.get(RG, 'web-0')).provisioningState).toBe('Succeeded');
  em.advance(7000);
  expect(await listed()).toEqual(['web-0:nginx:1']);

  await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'web-0', group('nginx:2'), options);
  expect(await listed()).toEqual(['web-0:nginx:1']);
  expect((await client.containerGroups.get(RG, 'web-0')).containers[0]!.image).toBe('nginx:2');
  em.advance(10_000);
  expect(await listed()).toEqual(['web-0:nginx:2']);

  await client.containerGroups.beginDeleteAndWait(RG, 'web-0', options);
  await expect(client.containerGroups.get(RG, 'web-0')).rejects.toMatchObject({ statusCode: 404 });
  expect(await listed()).toEqual(['web-0:nginx:2']);
  em.advance(10_000);
  expect(await listed()).toEqual([]);
});

it('consistencyLagMs 0: lists are current', async () => {
  em = new AciEmulator({ consistencyLagMs: 0 });
  em.install();
  const client = emulatorClient(em);
  await client.containerGroups.beginCreateOrUpdateAndWait(RG, 'web-0', group('nginx:1'), { updateIntervalInMs: 0 });
  const names: string[] = [];
  for await (const g of client.containerGroups.listByResourceGroup(RG)) names.push(g.name!);
  expect(names).toEqual(['web-0']);
});
