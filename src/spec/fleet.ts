import { z } from 'zod';
import { API_VERSION } from './deployment.js';
import { NAME_PATTERN, NAME_RULE } from './names.js';
import { providerRegistry } from '../builtin-providers.js';
import { type TargetSpec, type TargetSpecInput, targetSpec } from './target.js';

/** A fleet's name (Fleet documents' metadata.name, `createFleet({ name })`). */
export const fleetName = z
  .string({ error: `expected a fleet name: ${NAME_RULE}` })
  .regex(NAME_PATTERN, { error: `expected a fleet name: ${NAME_RULE}` });

/** A fleet's targets: a non-empty list whose items `item` validates. */
export function fleetTargets<T extends z.ZodType>(item: T) {
  return z.array(item, { error: 'expected a list of targets' }).min(1, { error: 'expected at least one target' });
}

/** The Fleet document whose targets are validated by `targets`. */
function fleetSchemaOf(targets: z.ZodType<TargetSpec, TargetSpecInput>) {
  return z
    .strictObject({
      apiVersion: z.literal(API_VERSION, { error: `expected apiVersion "${API_VERSION}"` }),
      kind: z.literal('Fleet'),
      metadata: z.strictObject({ name: fleetName }),
      targets: fleetTargets(targets),
      store: z.strictObject({ path: z.string().min(1).optional() }).optional(),
    })
    .superRefine((f, ctx) => {
      const names = f.targets.map((t) => t.name);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i)
          ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `target "${n}" is declared twice` });
      });
    });
}

/** The Fleet document; its targets may be of any registered kind (replaced after a registration). */
export let fleetSpec = fleetSchemaOf(targetSpec);
providerRegistry.onChange(() => {
  fleetSpec = fleetSchemaOf(providerRegistry.targetSchema());
});

export type FleetSpec = z.output<typeof fleetSpec>;
export type FleetSpecInput = z.input<typeof fleetSpec>;
