import type { z } from 'zod';
import { type BuiltinTargetSpec, type BuiltinTargetSpecInput, providerRegistry } from '../builtin-providers.js';
import type { TargetSettings } from '../provider/descriptor.js';

/** A validated target: one of a built-in kind, or of a kind added with `registerProvider`. */
export type TargetSpec = BuiltinTargetSpec | TargetSettings;
/** A target as written in a Fleet document or given to `createFleet({ targets })`. */
export type TargetSpecInput = BuiltinTargetSpecInput | TargetSettings;
/** `memory`, `docker`, `aws-ecs`, `azure-aci`, `gcp-cloud-run`, or a registered kind. */
export type TargetKind = BuiltinTargetSpec['kind'] | (string & {});

/**
 * Every target kind's settings, discriminated by `kind`: those of the built-in providers and of
 * providers added with `registerProvider` (a registration replaces this binding with the new
 * schema). Each provider owns its settings schema (zod only, no SDK), so validating a fleet never
 * loads a provider's SDK.
 */
export let targetSpec: z.ZodType<TargetSpec, TargetSpecInput> = providerRegistry.targetSchema();
providerRegistry.onChange(() => {
  targetSpec = providerRegistry.targetSchema();
});
