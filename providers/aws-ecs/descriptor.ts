import type { ProviderDescriptor } from '../../src/provider/descriptor.js';
import { awsEcsTargetSettings } from './settings.js';

/**
 * The aws-ecs provider: its target settings and, loaded only when a aws-ecs target is used, its
 * implementation and the AWS SDK.
 */
export const awsEcsProvider: ProviderDescriptor<typeof awsEcsTargetSettings> = {
  specificationVersion: 'v1',
  kind: 'aws-ecs',
  settings: awsEcsTargetSettings,
  create: async (settings, ctx) => new (await import('./provider.js')).AwsEcsProvider(settings, ctx),
};
