/**
 * ACI allocates a container group's public IP while provisioning it: a GET before the group
 * Succeeded has no `ipAddress.ip` (model: IpAddress.ip is readOnly, set by the service), so no
 * endpoint is reported before then, not even its FQDN.
 */
import type { ContainerGroup } from '@azure/arm-containerinstance';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { endpointsOf } from '../../../providers/azure-aci/index.js';
import { AciEmulator, emulatorClient } from '../../emulators/aci/index.js';

let em: AciEmulator;
beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  em = new AciEmulator({ pollAdvanceMs: 0 });
  em.install();
});
afterEach(() => {
  em.uninstall();
  expect(em.violations.problems).toEqual([]);
});

const group: ContainerGroup = {
  location: 'eastus',
  osType: 'Linux',
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ port: 80 }],
      resources: { requests: { cpu: 1, memoryInGB: 1.5 } },
    },
  ],
  ipAddress: { type: 'Public', ports: [{ port: 80, protocol: 'TCP' }], dnsNameLabel: 'web-label' },
};

it('the emulator assigns the IP only after provisioning; the provider reports no endpoint before', async () => {
  const client = emulatorClient(em);
  await client.containerGroups.beginCreateOrUpdate('rg1', 'web', group); // not awaited to completion
  const during = await client.containerGroups.get('rg1', 'web');
  expect(during.provisioningState).not.toBe('Succeeded');
  expect(during.ipAddress?.ip).toBeUndefined();
  expect(endpointsOf(during)).toEqual([]);
  // even an FQDN is no endpoint while the group is not provisioned
  expect(endpointsOf({ ...during, ipAddress: { ...during.ipAddress!, ip: '20.1.2.3' } })).toEqual([]);
  (em.clock as unknown as { advance(ms: number): void }).advance(600_000);
  const after = await client.containerGroups.get('rg1', 'web');
  expect(after.provisioningState).toBe('Succeeded');
  expect(after.ipAddress?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(endpointsOf(after)).toEqual([
    expect.objectContaining({
      host: after.ipAddress!.ip,
      port: 80,
      url: 'http://web-label.eastus.azurecontainer.io:80',
    }),
  ]);
});

it('through a front (the target dataPlaneAddress): the front address, over TLS as the group FQDN, once provisioned', async () => {
  const client = emulatorClient(em);
  const front = { host: '127.0.0.1', port: 4567 };
  const withTwoPorts: ContainerGroup = {
    ...group,
    containers: [{ ...group.containers[0]!, ports: [{ port: 80 }, { port: 9090 }] }],
    ipAddress: {
      ...group.ipAddress!,
      ports: [
        { port: 80, protocol: 'TCP' },
        { port: 9090, protocol: 'TCP' },
      ],
    },
    tags: { 'skyfleet.dev.ports': 'http=80' },
  };
  await client.containerGroups.beginCreateOrUpdate('rg1', 'web', withTwoPorts);
  expect(endpointsOf(await client.containerGroups.get('rg1', 'web'), front)).toEqual([]);
  (em.clock as unknown as { advance(ms: number): void }).advance(600_000);
  const after = await client.containerGroups.get('rg1', 'web');
  // a front routes on the name alone: the group's first port
  expect(endpointsOf(after, front)).toEqual([
    {
      host: '127.0.0.1',
      port: 4567,
      containerPort: 80,
      portName: 'http',
      url: 'http://web-label.eastus.azurecontainer.io:80',
      serverName: 'web-label.eastus.azurecontainer.io',
    },
  ]);
  // without a DNS name label there is no name to route on: no endpoint
  const { dnsNameLabel: _, fqdn: __, ...noLabel } = after.ipAddress!;
  expect(endpointsOf({ ...after, ipAddress: noLabel }, front)).toEqual([]);
});
