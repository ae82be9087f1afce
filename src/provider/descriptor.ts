import type { z } from 'zod';
import type { Provider, ProviderContext } from './provider.js';

/** The descriptor specification versions this skyfleet can load. */
export const PROVIDER_SPECIFICATION_VERSIONS = ['v1'] as const;
export type ProviderSpecificationVersion = (typeof PROVIDER_SPECIFICATION_VERSIONS)[number];

/** What every target's settings hold, whatever its kind: the kind, the target's name, the rest. */
export type TargetSettings = { kind: string; name: string; [setting: string]: unknown };

/**
 * A kind's target settings schema: a zod object whose `kind` is a literal (the discriminator of a
 * fleet's targets), with `name` and the other fields of `targetBase` (src/spec/target-base.ts).
 */
export type TargetSettingsSchema = z.core.$ZodTypeDiscriminable &
  z.ZodType<{ kind: string; name: string }, { kind: string; name: string }>;

/**
 * How a provider plugs into skyfleet, versioned like the Vercel AI SDK's providers: its kind, its
 * settings schema and a factory. Built-in providers export one from `providers/<kind>/descriptor.ts`;
 * `registerProvider(descriptor)` adds another, which Fleet documents and `createFleet({ targets })`
 * may then declare.
 *
 * A descriptor module imports zod and the settings schema only: validating a fleet never loads a
 * provider's SDK. `create` imports the provider's module (and its SDK) when a target of the kind is
 * used.
 */
export interface ProviderDescriptor<S extends TargetSettingsSchema = TargetSettingsSchema> {
  /** The descriptor contract this provider implements; a registry refuses versions it does not know. */
  readonly specificationVersion: ProviderSpecificationVersion;
  /** The target kind (`kind:` in a Fleet document): the literal `kind` of `settings`. */
  readonly kind: z.output<S>['kind'];
  /** The kind's settings schema (zod only). */
  readonly settings: S;
  /**
   * Makes the provider of one target from its validated settings:
   * `new (await import('./provider.js')).XProvider(settings, ctx)`.
   */
  create(settings: z.output<S>, ctx: ProviderContext): Promise<Provider>;
}

/** A descriptor's factory. */
export type ProviderFactory<S extends TargetSettingsSchema = TargetSettingsSchema> = ProviderDescriptor<S>['create'];
