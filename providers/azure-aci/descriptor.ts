import type { ProviderDescriptor } from '../../src/provider/descriptor.js';
import { azureAciTargetSettings } from './settings.js';

/**
 * The azure-aci provider: its target settings and, loaded only when a azure-aci target is used, its
 * implementation (the Azure SDK is imported on first use).
 */
export const azureAciProvider: ProviderDescriptor<typeof azureAciTargetSettings> = {
  specificationVersion: 'v1',
  kind: 'azure-aci',
  settings: azureAciTargetSettings,
  create: async (settings, ctx) => new (await import('./provider.js')).AzureAciProvider(settings, ctx),
};
