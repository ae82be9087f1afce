import type { z } from 'zod';
import { awsEcsProvider } from '../providers/aws-ecs/descriptor.js';
import { azureAciProvider } from '../providers/azure-aci/descriptor.js';
import { dockerProvider } from '../providers/docker/descriptor.js';
import { gcpCloudRunProvider } from '../providers/gcp-cloud-run/descriptor.js';
import { memoryProvider } from '../providers/memory/descriptor.js';
import type { ProviderDescriptor, TargetSettingsSchema } from './provider/descriptor.js';
import type { Provider, ProviderContext } from './provider/provider.js';
import { ProviderRegistry } from './provider/registry.js';

// The one place in src/ that names providers/: everything else knows providers by their
// descriptors, through the registry below. Descriptors load zod schemas only; each provider's
// module and SDK are imported by its `create`, when a target of its kind is used.

/** The built-in providers, in the order `expected kind one of:` lists them. */
export const builtinProviders = [
  memoryProvider,
  dockerProvider,
  awsEcsProvider,
  azureAciProvider,
  gcpCloudRunProvider,
] as const;

type BuiltinSettings = (typeof builtinProviders)[number]['settings'];
/** Settings of a target of a built-in kind, as validated. */
export type BuiltinTargetSpec = z.output<BuiltinSettings>;
/** Settings of a target of a built-in kind, as written (defaults not applied). */
export type BuiltinTargetSpecInput = z.input<BuiltinSettings>;
export type BuiltinTargetKind = BuiltinTargetSpec['kind'];

/**
 * The registry `createFleet`, Fleet documents (`loadDocuments`, `parseFleet`, the CLI's config) and
 * `skyfleet schema` use: the built-in providers, and those added with `registerProvider`.
 */
export const providerRegistry = new ProviderRegistry(builtinProviders);

/**
 * Adds a provider kind (or replaces the one of the same kind): Fleet documents and
 * `createFleet({ targets })` may then declare targets of it, validated with its settings schema.
 */
export function registerProvider<S extends TargetSettingsSchema>(descriptor: ProviderDescriptor<S>): void {
  providerRegistry.register(descriptor);
}

/** Creates the provider of a target spec, with the descriptor of its kind. */
export function createProvider(
  spec: { readonly kind: string; readonly [setting: string]: unknown },
  ctx: ProviderContext,
): Promise<Provider> {
  return providerRegistry.create(spec, ctx);
}
