import type { TargetSpec } from '../spec/target.js';
import type { Provider, ProviderContext } from './provider.js';

export type { ProviderContext } from './provider.js';

/** Loads a provider's module on demand: SDKs are imported only when a target of that kind is used. */
export type ProviderFactory = (spec: TargetSpec, ctx: ProviderContext) => Promise<Provider>;

const factories: Record<string, ProviderFactory> = {
  'gcp-cloud-run': async (spec, ctx) =>
    new (await import('../../providers/gcp-cloud-run/index.js')).CloudRunProvider(spec as never, ctx),
  memory: async (spec, ctx) => {
    const { MemoryProvider } = await import('../../providers/memory/index.js');
    return new MemoryProvider(spec as never, ctx);
  },
  docker: async (spec, ctx) => {
    const { DockerProvider } = await import('../../providers/docker/index.js');
    return new DockerProvider(spec as never, ctx);
  },
  'aws-ecs': async (spec, ctx) => {
    const { AwsEcsProvider } = await import('../../providers/aws-ecs/index.js');
    return new AwsEcsProvider(spec as never, ctx);
  },
  'azure-aci': async (spec, ctx) =>
    new (await import('../../providers/azure-aci/index.js')).AzureAciProvider(spec as never, ctx),
};

/** Creates the provider for a validated target spec. */
export async function createProvider(spec: TargetSpec, ctx: ProviderContext): Promise<Provider> {
  const factory = factories[spec.kind];
  if (!factory) throw new Error(`no provider for target kind "${spec.kind}"`);
  return factory(spec, ctx);
}

export function registerProvider(kind: string, factory: ProviderFactory): void {
  factories[kind] = factory;
}
