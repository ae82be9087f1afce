/**
 * ACI platform rules checked at apply, with the field path: virtual-network-injected (Private)
 * container groups don't support availability zones
 * (https://learn.microsoft.com/azure/reliability/migrate-container-instances, "Considerations").
 */
import { describe, expect, it } from 'vitest';
import { azureAciProvider } from '../../../providers/azure-aci/index.js';
import { ProviderRegistry } from '../../../src/provider/registry.js';

const base = {
  name: 'azure-east',
  kind: 'azure-aci',
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg1',
  location: 'eastus',
};
const subnet =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci';

describe('azure-aci settings rules', () => {
  it('zones with a Private (VNet) group: a validation error at targets[].zones naming the fix, before the provider is made', async () => {
    const registry = new ProviderRegistry().register(azureAciProvider);
    const err = await registry
      .create({ ...base, ipAddressType: 'Private', subnetIds: [subnet], zones: ['1', '2'] }, { fleet: 'f' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      issues: [
        expect.objectContaining({
          path: expect.stringMatching(/zones$/),
          message: expect.stringMatching(/availability zones .* Private \(virtual network\).*zones: \[\]/),
        }),
      ],
    });
  });

  it('zones with a Public group, or a Private group without zones, are valid', () => {
    const schema = azureAciProvider.settings;
    expect(schema.safeParse({ ...base, zones: ['1', '2'] }).success).toBe(true);
    expect(schema.safeParse({ ...base, ipAddressType: 'Private', subnetIds: [subnet] }).success).toBe(true);
  });

  it('describe() says the same: a Private target is one regional domain, its notes say why and where the load balancer must run', async () => {
    const registry = new ProviderRegistry().register(azureAciProvider);
    const priv = (
      await registry.create({ ...base, ipAddressType: 'Private', subnetIds: [subnet] }, { fleet: 'f' })
    ).describe();
    expect(priv.topology.zones).toEqual(['eastus']);
    expect(priv.capabilities.publicEndpoints).toBe(false);
    expect(priv.notes).toEqual([
      expect.stringContaining(`private IPs in subnets ${subnet}`),
      expect.stringMatching(/no availability zones for virtual-network container groups/),
    ]);
    const pub = (await registry.create({ ...base, zones: ['1', '2'] }, { fleet: 'f' })).describe();
    expect(pub.topology.zones).toEqual(['eastus-1', 'eastus-2']);
    expect(pub.notes).toBeUndefined();
  });

  it('describe(): behind a dataPlaneAddress front a group is reached on its first port only (capability firstPortOnly)', async () => {
    const registry = new ProviderRegistry().register(azureAciProvider);
    const fronted = (
      await registry.create({ ...base, dnsNameLabel: {}, dataPlaneAddress: '127.0.0.1:4567' }, { fleet: 'f' })
    ).describe();
    expect(fronted.capabilities.firstPortOnly).toBe(true);
    const direct = (await registry.create({ ...base }, { fleet: 'f' })).describe();
    expect(direct.capabilities.firstPortOnly).toBeUndefined();
  });

  it('a dataPlaneAddress without dnsNameLabel: an error at dataPlaneAddress naming the fix', () => {
    const got = azureAciProvider.settings.safeParse({ ...base, dataPlaneAddress: '127.0.0.1:4567' });
    expect(got.success).toBe(false);
    expect(got.error?.issues).toEqual([
      expect.objectContaining({ path: ['dataPlaneAddress'], message: expect.stringMatching(/set dnsNameLabel/) }),
    ]);
    const bad = azureAciProvider.settings.safeParse({ ...base, dnsNameLabel: {}, dataPlaneAddress: 'front' });
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({ path: ['dataPlaneAddress'], message: 'expected host:port, e.g. 10.0.0.5:443' }),
    ]);
    for (const port of ['0', '99999'])
      expect(
        azureAciProvider.settings.safeParse({ ...base, dnsNameLabel: {}, dataPlaneAddress: `127.0.0.1:${port}` }).error
          ?.issues,
      ).toEqual([
        expect.objectContaining({ path: ['dataPlaneAddress'], message: 'the port must be 1-65535, e.g. 10.0.0.5:443' }),
      ]);
    expect(
      azureAciProvider.settings.safeParse({ ...base, dnsNameLabel: {}, dataPlaneAddress: '127.0.0.1:4567' }).success,
    ).toBe(true);
  });
});
