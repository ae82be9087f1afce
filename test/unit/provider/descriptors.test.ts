import { describe, expect, it, vi } from 'vitest';

// Every cloud SDK and the Docker client, replaced by stand-ins that record their loading: loading
// the built-in descriptors and validating a fleet must load none of them; `create` loads the SDK
// of its kind only.
const loaded = vi.hoisted(() => [] as string[]);
vi.mock('dockerode', () => {
  loaded.push('dockerode');
  return { default: class {} };
});
vi.mock('@aws-sdk/client-ecs', () => {
  loaded.push('@aws-sdk/client-ecs');
  return {};
});
vi.mock('@azure/arm-containerinstance', () => {
  loaded.push('@azure/arm-containerinstance');
  return {};
});
vi.mock('@azure/identity', () => {
  loaded.push('@azure/identity');
  return {};
});
vi.mock('@google-cloud/run', () => {
  loaded.push('@google-cloud/run');
  return {};
});

describe('built-in provider descriptors', () => {
  it('validate a fleet of every built-in kind and export its schema without loading any SDK', async () => {
    const { builtinProviders } = await import('../../../src/builtin-providers.js');
    const { loadDocuments } = await import('../../../src/spec/load.js');
    const { jsonSchemas } = await import('../../../src/spec/json-schema.js');
    expect(builtinProviders.map((d) => [d.specificationVersion, d.kind])).toEqual([
      ['v1', 'memory'],
      ['v1', 'docker'],
      ['v1', 'aws-ecs'],
      ['v1', 'azure-aci'],
      ['v1', 'gcp-cloud-run'],
    ]);
    const { fleet } = loadDocuments(`apiVersion: skyfleet.dev/v1
kind: Fleet
metadata: { name: all }
targets:
  - { name: mem, kind: memory }
  - { name: dk, kind: docker }
  - { name: ecs, kind: aws-ecs, region: us-east-1, cluster: c, subnets: { us-east-1a: [subnet-0aaa] } }
  - { name: aci, kind: azure-aci, subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroup: rg, location: eastus }
  - { name: run, kind: gcp-cloud-run, project: my-project-123, region: us-central1 }
`);
    expect(fleet?.targets.map((t) => t.kind)).toEqual(['memory', 'docker', 'aws-ecs', 'azure-aci', 'gcp-cloud-run']);
    jsonSchemas();
    expect(loaded).toEqual([]);
  });

  it('load their provider and its SDK in create, when a target of the kind is made', async () => {
    const { createProvider } = await import('../../../src/builtin-providers.js');
    const memory = await createProvider({ kind: 'memory', name: 'mem' }, { fleet: 'f' });
    expect(memory.kind).toBe('memory');
    expect(loaded).toEqual([]);
    // the stand-in has no ECSClient: the provider module loads, then its constructor fails
    await createProvider(
      { kind: 'aws-ecs', name: 'ecs', region: 'us-east-1', cluster: 'c', subnets: { 'us-east-1a': ['subnet-0aaa'] } },
      { fleet: 'f' },
    ).catch(() => {});
    expect(loaded).toEqual(['@aws-sdk/client-ecs']);
  });
});
