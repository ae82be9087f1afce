import { z } from 'zod';
import { SkyfleetError, ValidationError } from '../errors/index.js';
import { validate } from '../spec/validate.js';
import {
  PROVIDER_SPECIFICATION_VERSIONS,
  type ProviderDescriptor,
  type TargetSettings,
  type TargetSettingsSchema,
} from './descriptor.js';
import type { Provider, ProviderContext } from './provider.js';

/** The schema of one target of any registered kind, discriminated by `kind`. */
export type TargetSchema = z.ZodType<TargetSettings, TargetSettings>;

/**
 * Provider descriptors by kind: the target schema of a fleet is built from them, and targets are
 * made with them. Knows no provider itself; `src/builtin-providers.ts` fills the default one.
 */
export class ProviderRegistry {
  private readonly descriptors = new Map<string, ProviderDescriptor>();
  private schema: TargetSchema | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(descriptors: Iterable<ProviderDescriptor> = []) {
    for (const d of descriptors) this.register(d);
  }

  /**
   * Adds a provider kind, or replaces the one registered under the same kind. Targets of the kind
   * are then accepted wherever this registry's target schema is used.
   */
  register<S extends TargetSettingsSchema>(descriptor: ProviderDescriptor<S>): this {
    const { specificationVersion: version, kind, settings } = descriptor;
    const invalid = (why: string) => new SkyfleetError('invalid_provider', `cannot register provider: ${why}`);
    if (typeof kind !== 'string' || !kind) throw invalid('expected a non-empty kind');
    if (!(PROVIDER_SPECIFICATION_VERSIONS as readonly string[]).includes(version)) {
      throw invalid(
        `"${kind}" implements specification ${JSON.stringify(version)}; this skyfleet supports ${PROVIDER_SPECIFICATION_VERSIONS.join(', ')}`,
      );
    }
    if (!settings?._zod?.propValues?.kind?.has(kind)) {
      throw invalid(`the settings schema of "${kind}" must declare kind: z.literal(${JSON.stringify(kind)})`);
    }
    this.descriptors.set(kind, descriptor);
    this.schema = undefined;
    for (const listener of this.listeners) listener();
    return this;
  }

  /** Registered kinds, in registration order. */
  kinds(): string[] {
    return [...this.descriptors.keys()];
  }

  get(kind: string): ProviderDescriptor | undefined {
    return this.descriptors.get(kind);
  }

  /**
   * Every registered kind's settings, discriminated by `kind`; a target of no registered kind reads
   * `expected kind one of: memory, docker, ...`. Rebuilt after a registration.
   */
  targetSchema(): TargetSchema {
    if (this.schema) return this.schema;
    const [first, ...rest] = [...this.descriptors.values()].map((d) => d.settings);
    const error = this.expectedKinds();
    this.schema = first
      ? z.discriminatedUnion('kind', [first, ...rest], {
          error: (iss) => (iss.code === 'invalid_union' ? error : undefined),
        })
      : z.never({ error });
    return this.schema;
  }

  /**
   * Makes the provider of a target: validated with its kind's settings schema (a spec from the
   * target schema passes unchanged), then given to the kind's `create`, which loads its module.
   */
  async create(
    spec: { readonly kind: string; readonly [setting: string]: unknown },
    ctx: ProviderContext,
  ): Promise<Provider> {
    const descriptor = this.descriptors.get(spec.kind);
    if (!descriptor) {
      throw new ValidationError([
        { path: 'kind', message: `${this.expectedKinds()}, got ${JSON.stringify(spec.kind)}` },
      ]);
    }
    return descriptor.create(validate(descriptor.settings, spec, 'target settings'), ctx);
  }

  /** Calls `listener` after every registration; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private expectedKinds(): string {
    return `expected kind one of: ${this.kinds().join(', ')}`;
  }
}
