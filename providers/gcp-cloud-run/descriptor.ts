import type { ProviderDescriptor } from '../../src/provider/descriptor.js';
import { gcpCloudRunTargetSettings } from './settings.js';

/**
 * The gcp-cloud-run provider: its target settings and, loaded only when a gcp-cloud-run target is used, its
 * implementation (the Cloud Run client is imported on first use).
 */
export const gcpCloudRunProvider: ProviderDescriptor<typeof gcpCloudRunTargetSettings> = {
  specificationVersion: 'v1',
  kind: 'gcp-cloud-run',
  settings: gcpCloudRunTargetSettings,
  create: async (settings, ctx) => new (await import('./provider.js')).CloudRunProvider(settings, ctx),
};
