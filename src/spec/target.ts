import { z } from 'zod';
import { azureAciTargetSettings } from '../../providers/azure-aci/settings.js';
import { awsEcsTargetSettings } from '../../providers/aws-ecs/settings.js';
import { dockerTargetSettings } from '../../providers/docker/settings.js';
import { gcpCloudRunTargetSettings } from '../../providers/gcp-cloud-run/settings.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';

/**
 * Every target kind's settings, discriminated by `kind`. Each provider owns its settings schema
 * (zod only, no SDK), so validating a fleet never loads a provider's SDK.
 */
export const targetSpec = z.discriminatedUnion(
  'kind',
  [memoryTargetSettings, dockerTargetSettings, azureAciTargetSettings, gcpCloudRunTargetSettings, awsEcsTargetSettings],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? `expected kind one of: memory, docker, aws-ecs, azure-aci, gcp-cloud-run`
        : undefined,
  },
);
export type TargetSpec = z.output<typeof targetSpec>;
export type TargetSpecInput = z.input<typeof targetSpec>;
export type TargetKind = TargetSpec['kind'];
