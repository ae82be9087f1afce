import { z } from 'zod';
import { intRange } from '../../src/spec/schema-helpers.js';
import { targetBase, zoneName } from '../../src/spec/target-base.js';

/**
 * A Docker engine. Each docker target is one zone (a failure domain); several targets may name
 * different engines, or the same engine (their containers are kept apart by the target label).
 */
export const dockerTargetSettings = z.strictObject({
  ...targetBase,
  kind: z.literal('docker'),
  socketPath: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: intRange(1, 65535).optional(),
  protocol: z.enum(['http', 'https', 'ssh']).optional(),
  /** Address published ports bind to and endpoints are reported on. */
  publishAddress: z.string().default('127.0.0.1'),
  region: z.string().min(1).default('local'),
  zone: zoneName.optional(),
  /** Containers created or removed at once. */
  concurrency: intRange(1, 64).default(8),
  /** Largest cpu (cores) one replica may ask for; default: this machine's cpus for a local engine. */
  maxCpu: z.number().positive().optional(),
  /** Largest memory (MiB) one replica may ask for; default: this machine's memory for a local engine. */
  maxMemoryMiB: intRange(1, 16_777_216).optional(),
});
export type DockerTargetSettings = z.output<typeof dockerTargetSettings>;
export type DockerTargetSettingsInput = z.input<typeof dockerTargetSettings>;
