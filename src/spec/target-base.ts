import { z } from 'zod';
import { NAME_PATTERN, NAME_RULE } from './names.js';
import { intRange } from './schema-helpers.js';

const zoneName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a zone name of lowercase letters, digits or "-"' });

/** Fields every target kind accepts. Provider settings schemas extend this object. */
export const targetBase = {
  name: z.string().regex(NAME_PATTERN, { error: `expected a target name: ${NAME_RULE}` }),
  /** Price hint per replica-hour, used by `optimize: cost`. */
  pricePerReplicaHour: z.number().nonnegative().optional(),
  /** Most replicas this target may hold in one zone (capacity or quota). */
  maxReplicasPerZone: intRange(0, 1_000_000).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /**
   * A PEM file of CA certificates trusted beside the system's for this target's TLS: its API where
   * it speaks TLS through a private CA (a TLS-inspecting proxy, `skyfleet emulate`), and its
   * replicas' TLS endpoints for skyfleet's load balancers. Read when the fleet is created.
   */
  caFile: z.string().min(1).optional(),
};

export { zoneName };
