import { z } from 'zod';
import { intRange } from '../../src/spec/schema-helpers.js';
import { targetBase, zoneName } from '../../src/spec/target-base.js';

/** `{ name: lab, kind: memory, provider: aws, region: eu-1, zones: [a, b, c] }` */
export const memoryTargetSettings = z.strictObject({
  ...targetBase,
  kind: z.literal('memory'),
  provider: z.string().min(1).default('memory'),
  region: z.string().min(1).default('local'),
  zones: z.array(zoneName).min(1).default(['a']),
  /** Per-replica limits this target accepts. */
  maxCpu: z.number().positive().default(4),
  maxMemoryMiB: intRange(1, 1_048_576).default(8192),
  /** Seconds a new replica takes to become ready (0 = at once). */
  readyAfterSeconds: z.number().nonnegative().default(0),
  /** Capabilities it declares, to stand in for a cloud that has them (Cloud Run: both true). */
  scaleToZero: z.boolean().default(true),
  nativeAutoscaling: z.boolean().default(false),
  /**
   * `aggregate`: report slices as a platform that counts replicas but does not list them (Cloud
   * Run): `observedAs: 'aggregate'` with a `detail`, to stand in for such a cloud.
   */
  observedAs: z.enum(['replica', 'aggregate']).default('replica'),
});
export type MemoryTargetSettings = z.output<typeof memoryTargetSettings>;
