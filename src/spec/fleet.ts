import { z } from 'zod';
import { API_VERSION } from './deployment.js';
import { NAME_PATTERN, NAME_RULE } from './names.js';
import { providerRegistry } from '../builtin-providers.js';
import { type TargetSpec, type TargetSpecInput, targetSpec } from './target.js';

/** The Fleet document whose targets are validated by `targets`. */
function fleetSchemaOf(targets: z.ZodType<TargetSpec, TargetSpecInput>) {
  return z
    .strictObject({
      apiVersion: z.literal(API_VERSION, { error: `expected apiVersion "${API_VERSION}"` }),
      kind: z.literal('Fleet'),
      metadata: z.strictObject({
        name: z.string().regex(NAME_PATTERN, { error: `expected a fleet name: ${NAME_RULE}` }),
      }),
      targets: z.array(targets).min(1, { error: 'expected at least one target' }),
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
