import { z } from 'zod';
import { deployment } from './deployment.js';
import { fleetSpec } from './fleet.js';

/** JSON Schemas of the Fleet and Deployment documents (draft 2020-12), for editors and CI checks. */
export function jsonSchemas(): { Fleet: unknown; Deployment: unknown } {
  const opts = { io: 'input', unrepresentable: 'any' } as const;
  return { Fleet: z.toJSONSchema(fleetSpec, opts), Deployment: z.toJSONSchema(deployment, opts) };
}
