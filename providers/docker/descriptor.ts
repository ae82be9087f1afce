import type { ProviderDescriptor } from '../../src/provider/descriptor.js';
import { dockerTargetSettings } from './settings.js';

/**
 * The docker provider: its target settings and, loaded only when a docker target is used, its
 * implementation (dockerode is imported on first use of the engine).
 */
export const dockerProvider: ProviderDescriptor<typeof dockerTargetSettings> = {
  specificationVersion: 'v1',
  kind: 'docker',
  settings: dockerTargetSettings,
  create: async (settings, ctx) => new (await import('./provider.js')).DockerProvider(settings, ctx),
};
