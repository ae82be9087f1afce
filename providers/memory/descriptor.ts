import type { ProviderDescriptor } from '../../src/provider/descriptor.js';
import { memoryTargetSettings } from './settings.js';

/**
 * The memory provider: its target settings and, loaded only when a memory target is used, its
 * implementation.
 */
export const memoryProvider: ProviderDescriptor<typeof memoryTargetSettings> = {
  specificationVersion: 'v1',
  kind: 'memory',
  settings: memoryTargetSettings,
  create: async (settings, ctx) => new (await import('./provider.js')).MemoryProvider(settings, ctx),
};
